import type { Handler } from './runtime';
import { StreamBody } from './runtime';

/** Streams a CSV file under its own content type (`event.contentType` to claim another). */
export const handler: Handler = (event) => {
	async function* rows() {
		yield Buffer.from('id,name\n');
		for (let id = 1; id <= 3; id++) yield Buffer.from(`${id},row ${id}\n`);
	}
	return new StreamBody(rows(), (event as { contentType?: string } | null)?.contentType ?? 'text/csv; charset=utf-8');
};
