/**
 * The host identity checks alone, on both pinned n8n lines: packs and installs the package as
 * `npm run test:e2e` does, then runs `runHostIdentityChecks`. Build first (`npm run build`, then
 * `npx tsc -p tsconfig.dev.json`), run with `node .build/test/e2e/host-identity-run.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LocalAws } from '../support/aws-endpoint';
import { runHostIdentityChecks } from './host-identity';
import type { N8nLine } from './n8n';
import { installPackage, n8nLines, packTarball } from './n8n';

let failures = 0;

function recorder(line: N8nLine) {
	return (name: string, problem: string | undefined, started: number): void => {
		const seconds = ((performance.now() - started) / 1000).toFixed(1);
		if (problem !== undefined) failures += 1;
		console.log(`${problem === undefined ? 'PASS' : 'FAIL'} [${line.name}] ${name} (${seconds} s)${problem ? `: ${problem}` : ''}`);
	};
}

async function runLine(line: N8nLine, tarball: string): Promise<void> {
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-host-identity-e2e-'));
	const aws = await LocalAws.start({ quiet: true });
	try {
		installPackage(userFolder, tarball);
		await runHostIdentityChecks(line, userFolder, aws, recorder(line));
	} finally {
		await aws.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	const workDir = mkdtempSync(join(tmpdir(), 'n8n-host-identity-e2e-pack-'));
	try {
		const tarball = packTarball(workDir);
		// N8N_E2E_LINE=1 or 2 runs one line only.
		const lines = n8nLines().filter((line) => !process.env.N8N_E2E_LINE || line.slug.startsWith(`n8n-${process.env.N8N_E2E_LINE}.`));
		for (const line of lines) await runLine(line, tarball);
	} finally {
		rmSync(workDir, { recursive: true, force: true });
	}
	console.log(`\n${failures} check(s) failed`);
	if (failures > 0) process.exitCode = 1;
}

void main();
