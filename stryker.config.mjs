// Mutation testing: `npm run test:mutation` (options after `--` override these, e.g. `-- --concurrency 2`
// or `-- --mutate nodes/AwsLambda/transport/bodyCollector.ts`). How to read the results: docs/mutation.md.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Everything Stryker and the tests write stays in this ignored folder of the checkout.
const strykerTemp = '.stryker-tmp';

/**
 * The engine tests need an n8n instance folder; without one they create it in the system temp
 * directory. Creating it here, before any test runner starts, keeps it inside the checkout and
 * spares parallel runners a race on the first write of its settings file.
 */
function n8nUserFolder() {
	const userFolder = resolve(strykerTemp, 'n8n-user');
	const settingsFile = join(userFolder, '.n8n', 'config');
	if (!existsSync(settingsFile)) {
		mkdirSync(join(userFolder, '.n8n'), { recursive: true, mode: 0o700 });
		writeFileSync(settingsFile, JSON.stringify({ encryptionKey: randomBytes(24).toString('base64') }), { mode: 0o600 });
	}
	return userFolder;
}

process.env.N8N_USER_FOLDER = n8nUserFolder();
// Where the dry run records each test file's tests for test/support/jest-circus-selective.js: a
// folder per run, so that a file the dry run did not see (--testFiles) has no record of an older run.
process.env.MUTATION_TEST_NAMES_FOLDER ??= resolve(strykerTemp, `test-names-${Date.now()}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
	mutate: ['nodes/**/*.ts', 'credentials/**/*.ts'],
	testRunner: 'jest',
	jest: {
		projectType: 'custom',
		configFile: 'jest.config.js',
		// jest.config.js's roots hold only test/, so jest's related-tests search does not follow imports
		// through nodes/ and misses most covering tests; the first run executes the whole suite and
		// per-test coverage picks each mutant's tests instead.
		enableFindRelatedTests: false,
		config: {
			// The jest runner wraps the test environment but does not expand jest.config.js's <rootDir>
			// in its path; a relative one is resolved from the sandbox.
			testEnvironment: './test/support/jest-environment.js',
			// A mutant's run loads only the test files that hold its covering tests.
			testRunner: './test/support/jest-circus-selective.js',
			// ts-jest's compile cache survives between runs here instead of in the system temp directory.
			cacheDirectory: resolve(strykerTemp, 'jest-cache'),
		},
	},
	// Each mutant runs only the tests that executed its code.
	coverageAnalysis: 'perTest',
	// Mutants that do not compile are discarded by the type checker instead of costing a test run
	// (ts-jest transpiles without type checks, see isolatedModules in tsconfig.dev.json).
	checkers: ['typescript'],
	tsconfigFile: 'tsconfig.json',
	// The instrumented sources would not type-check; the checker above already did that job.
	disableTypeChecks: '{nodes,credentials,test}/**/*.ts',
	// Committed: a run only re-tests mutants whose code or covering tests changed since this file.
	incremental: true,
	incrementalFile: 'reports/mutation/incremental.json',
	// The machine is shared with other test runs; raise it on the command line when it is not.
	concurrency: 1,
	// Tests talk to local HTTP servers and some wait on retries and timeouts by design: a mutant
	// counts as hanging only well past the time its tests normally take.
	timeoutFactor: 2,
	timeoutMS: 15_000,
	dryRunTimeoutMinutes: 15,
	tempDirName: strykerTemp,
	// Build outputs are not needed by the tests; not copying them keeps the sandbox small.
	ignorePatterns: ['dist', '.build', 'coverage', 'test-output'],
	reporters: ['clear-text', 'progress', 'json', 'html'],
	jsonReporter: { fileName: 'reports/mutation/mutation.json' },
	htmlReporter: { fileName: 'reports/mutation/html/index.html' },
	clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
};
