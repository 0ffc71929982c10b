import type { Handler } from './runtime';

export const handler: Handler = (event, context) => {
	context.log(`echo received ${JSON.stringify(event).length} bytes`);
	return {
		event,
		clientContext: context.clientContext,
		functionVersion: context.functionVersion,
		invokedFunctionArn: context.invokedFunctionArn,
	};
};
