import type { Handler } from './runtime';
import { StreamBody } from './runtime';

/** Streams a CSV file under its own content type. */
export const handler: Handler = () => {
	async function* rows() {
		yield Buffer.from('id,name\n');
		for (let id = 1; id <= 3; id++) yield Buffer.from(`${id},row ${id}\n`);
	}
	return new StreamBody(rows(), 'text/csv; charset=utf-8');
};
