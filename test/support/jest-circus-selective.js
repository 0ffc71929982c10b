// Jest's test runner (jest-circus) for mutation testing only (stryker.config.mjs); Stryker's jest
// runner accepts per-test coverage only with a runner whose path names jest-circus. Stryker runs a mutant with a
// test name pattern that selects the tests covering it, but jest still loads every test file, and
// loading one (n8n's engine, the AWS SDK) takes longer than most tests take to run. A test file
// whose recorded tests cannot match the pattern is answered without being loaded, and so is every
// file after one of the mutant's tests failed (the mutant is killed; see jest-environment.js). A file
// without a record (the dry run did not see it) is run as usual, so no covering test is left out.
// Because of the skipping, a killed mutant names only its first killing test, also with --disableBail.
const { existsSync, readFileSync } = require('node:fs');
const { createEmptyTestResult } = require('@jest/test-result');
const runTestFile = require('jest-circus/runner');
const { activeMutantKilled, testNamesFile } = require('./jest-environment.js');

/** Jest refuses a test file without tests: its tests are reported as skipped, as jest-circus would. */
function skippedTestFile(names) {
	const result = createEmptyTestResult();
	result.numPendingTests = names.length;
	result.testResults = names.map((name) => ({
		ancestorTitles: [],
		duration: 0,
		failureDetails: [],
		failureMessages: [],
		fullName: name,
		numPassingAsserts: 0,
		status: 'pending',
		title: name,
	}));
	return result;
}

function recordedTestNames(rootDir, testPath) {
	const file = testNamesFile(rootDir, testPath);
	return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/**
 * The recorded tests of a file that need not run: the mutant is killed already, or none of them is
 * selected (jest matches the pattern so: case-insensitive, anywhere in the full name).
 */
function testsNotToRun(globalConfig, config, testPath) {
	if (!process.env.MUTATION_TEST_NAMES_FOLDER || !globalConfig.testNamePattern) return undefined;
	const names = recordedTestNames(config.rootDir, testPath);
	if (names === undefined || activeMutantKilled()) return names;
	const pattern = new RegExp(globalConfig.testNamePattern, 'i');
	return names.some((name) => pattern.test(name)) ? undefined : names;
}

module.exports = async function selectiveJestCircus(globalConfig, config, environment, runtime, testPath, sendMessageToJest) {
	const notToRun = testsNotToRun(globalConfig, config, testPath);
	if (notToRun) return skippedTestFile(notToRun);
	return runTestFile(globalConfig, config, environment, runtime, testPath, sendMessageToJest);
};
