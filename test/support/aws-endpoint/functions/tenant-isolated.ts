import type { Handler } from './runtime';

/**
 * One execution environment per tenant, as Lambda keeps them apart: each counts its own calls.
 * A factory, so that every local endpoint starts with fresh environments.
 */
export function tenantIsolatedHandler(): Handler {
	const environments = new Map<string, number>();
	return (event, context) => {
		const tenantId = context.tenantId as string;
		const callsInThisEnvironment = (environments.get(tenantId) ?? 0) + 1;
		environments.set(tenantId, callsInThisEnvironment);
		context.log(`tenant ${tenantId}`);
		return { tenantId, callsInThisEnvironment, event };
	};
}
