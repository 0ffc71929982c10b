// Jest runs tests in a separate VM realm, so errors that Node's own modules create (socket errors
// such as "socket hang up" / ECONNRESET) fail `instanceof Error` inside the tests' realm, and the AWS
// SDK then replaces them with a message-only wrapper, losing `code` and `name` (jest issue #2549).
// Outside jest (in n8n) there is one realm. This environment makes exactly `x instanceof Error`
// recognise errors of the outer realm too; subclasses keep the ordinary check.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

// Under mutation testing, Stryker names the mutant being tested in this variable. It runs every
// test that covers the mutant even after one failed (Jest's bail cannot be set programmatically), and
// an engine test takes seconds: once one fails the mutant is killed, so its remaining tests are
// skipped. Kept in this module, which Jest loads once per worker, so it spans the test files.
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
const mutantRun = { killed: undefined };

// Under mutation testing, the dry run records here which tests each test file holds, so that a
// mutant's run loads only the files that hold its tests (see jest-circus-selective.js).
const TEST_NAMES_FOLDER = process.env.MUTATION_TEST_NAMES_FOLDER;

/** The name jest matches a test name pattern against: its describe titles and its title. */
function fullTestName(test) {
	const titles = [];
	for (let block = test; block?.parent; block = block.parent) titles.unshift(block.name);
	return titles.join(' ');
}

/** Where the dry run records the test names of one test file. */
function testNamesFile(rootDir, testPath) {
	return join(TEST_NAMES_FOLDER, `${relative(rootDir, testPath).replace(/[\\/]/g, '__')}.json`);
}

class SingleRealmErrorsEnvironment extends TestEnvironment {
	constructor(config, context) {
		super(config, context);
		this.testNamesFile = TEST_NAMES_FOLDER && testNamesFile(config.projectConfig.rootDir, context.testPath);
		this.testNames = [];
		const InnerError = this.global.Error;
		const OuterError = Error;
		Object.defineProperty(InnerError, Symbol.hasInstance, {
			value(candidate) {
				return (
					Function.prototype[Symbol.hasInstance].call(this, candidate) ||
					(this === InnerError && candidate instanceof OuterError)
				);
			},
		});
	}

	async handleTestEvent(event) {
		const mutant = process.env[ACTIVE_MUTANT];
		if (mutant === undefined && this.testNamesFile && event.name === 'test_start') {
			this.testNames.push(fullTestName(event.test));
		}
		// A test that jest retries must not be skipped after its first failure.
		if (mutant === undefined || this.global[Symbol.for('RETRY_TIMES')]) return;
		if (event.name === 'test_start' && mutantRun.killed === mutant) event.test.mode = 'skip';
		if (event.name === 'test_done' && event.test.errors.length > 0) mutantRun.killed = mutant;
	}

	async teardown() {
		try {
			if (this.testNames.length > 0) {
				mkdirSync(TEST_NAMES_FOLDER, { recursive: true });
				writeFileSync(this.testNamesFile, JSON.stringify(this.testNames));
			}
		} finally {
			await super.teardown();
		}
	}
}

SingleRealmErrorsEnvironment.testNamesFile = testNamesFile;
/** Whether a test of the mutant under test has already failed, in this or an earlier test file. */
SingleRealmErrorsEnvironment.activeMutantKilled = () =>
	process.env[ACTIVE_MUTANT] !== undefined && mutantRun.killed === process.env[ACTIVE_MUTANT];

module.exports = SingleRealmErrorsEnvironment;
