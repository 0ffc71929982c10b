/**
 * n8n's filesystem binary-data mode for one test file, as `N8N_DEFAULT_BINARY_DATA_MODE=filesystem`
 * sets it up in n8n: binary data written to files, not held in memory. Opt-in; the engine harness
 * otherwise keeps n8n's in-memory default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from '@n8n/di';
import type { BinaryDataConfig, ErrorReporter } from 'n8n-core';
import { BinaryDataService } from 'n8n-core';

export interface FilesystemBinaryData {
	storagePath: string;
	service: BinaryDataService;
	restore(): Promise<void>;
}

export async function useFilesystemBinaryData(): Promise<FilesystemBinaryData> {
	const previous = Container.get(BinaryDataService);
	const storagePath = await mkdtemp(join(tmpdir(), 'n8n-binary-'));
	const config = { mode: 'filesystem', localStoragePath: storagePath, signingSecret: 'local-test' } as unknown as BinaryDataConfig;
	// Both are used only when a stored file cannot be read or deleted; a test would then fail on its own.
	const service = new BinaryDataService(config, {} as ErrorReporter, {} as ConstructorParameters<typeof BinaryDataService>[2]);
	await service.init();
	Container.set(BinaryDataService, service);
	return {
		storagePath,
		service,
		async restore() {
			Container.set(BinaryDataService, previous);
			await rm(storagePath, { recursive: true, force: true });
		},
	};
}
