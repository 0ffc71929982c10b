// Jest runs tests in a separate VM realm, so errors that Node's own modules create (socket errors
// such as "socket hang up" / ECONNRESET) fail `instanceof Error` inside the tests' realm, and the AWS
// SDK then replaces them with a message-only wrapper, losing `code` and `name` (jest issue #2549).
// Outside jest (in n8n) there is one realm. This environment makes exactly `x instanceof Error`
// recognise errors of the outer realm too; subclasses keep the ordinary check.
const { TestEnvironment } = require('jest-environment-node');

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
}

module.exports = SingleRealmErrorsEnvironment;
