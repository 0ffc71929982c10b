// Jest runs tests in a separate VM realm, so errors that Node's own modules create (socket errors
// such as "socket hang up" / ECONNRESET) fail `instanceof Error` inside the tests' realm, and the AWS
// SDK then replaces them with a message-only wrapper, losing `code` and `name` (jest issue #2549).
// Outside jest (in n8n) there is one realm. This environment makes exactly `x instanceof Error`
// recognise errors of the outer realm too; subclasses keep the ordinary check.
const { TestEnvironment } = require('jest-environment-node');

// Under mutation testing, Stryker names the mutant being tested in this variable. It runs every
// test that covers the mutant even after one failed (Jest's bail cannot be set programmatically), and
// an engine test takes seconds: once one fails the mutant is killed, so its remaining tests are
// skipped. Kept in this module, which Jest loads once per worker, so it spans the test files.
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
const mutantRun = { killed: undefined };

class SingleRealmErrorsEnvironment extends TestEnvironment {
	constructor(config, context) {
		super(config, context);
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
		// A test that jest retries must not be skipped after its first failure.
		if (mutant === undefined || this.global[Symbol.for('RETRY_TIMES')]) return;
		if (event.name === 'test_start' && mutantRun.killed === mutant) event.test.mode = 'skip';
		if (event.name === 'test_done' && event.test.errors.length > 0) mutantRun.killed = mutant;
	}
}

module.exports = SingleRealmErrorsEnvironment;
