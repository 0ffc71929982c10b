import { createHmac, randomUUID } from 'node:crypto';

import type { FunctionDefinition } from './functions';
import type { RunContext } from './invocation';
import { bufferedResult, errorDocument, functionErrorKind, startRun } from './invocation';
import type { StreamedReply } from './streaming';
import { runStreamingHandler } from './streaming';

export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
const LATEST_PUBLISHED = '$LATEST.PUBLISHED';
/** Tenant IDs: 1–256 characters (API model). */
const MAX_TENANT_ID = 256;
const MAX_PAGE = 50;

export interface Reply {
	status: number;
	headers?: Record<string, string>;
	body?: Buffer | string;
	/** A response stream, sent chunk by chunk instead of `body`. */
	stream?: StreamedReply;
	errorType?: string;
}

export interface InvokeRequest {
	rawName: string;
	query: Record<string, string>;
	headers: Record<string, string | undefined>;
	body: Buffer;
	region: string;
	accountId: string;
	/** InvokeWithResponseStream rather than Invoke. */
	streaming?: boolean;
}

export interface InvokeOutcome {
	reply: Reply;
	functionName?: string;
	qualifier?: string;
	executedVersion?: string;
	clientContext?: unknown;
	tenantId?: string;
	/** Runs the function (for a reply sent after it ran); undefined when nothing runs. */
	run?: () => Promise<Reply>;
}

/** The error shape of the Lambda REST API: the type in a header, a JSON body with Type and Message. */
export function lambdaError(status: number, errorType: string, message: string, extra: Record<string, unknown> = {}): Reply {
	return {
		status,
		errorType,
		headers: { 'x-amzn-ErrorType': errorType, 'Content-Type': 'application/json' },
		body: JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', Message: message, ...extra }),
	};
}

interface ParsedName {
	name: string;
	qualifier?: string;
	arnRegion?: string;
	accountId?: string;
}

export function parseFunctionName(raw: string): ParsedName | undefined {
	const full = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_.-]+))?$/.exec(raw);
	if (full) return { arnRegion: full[1], accountId: full[2], name: full[3], qualifier: full[4] };
	const partial = /^(\d{12}):function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9$_.-]+))?$/.exec(raw);
	if (partial) return { accountId: partial[1], name: partial[2], qualifier: partial[3] };
	const plain = /^([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9$_.-]+))?$/.exec(raw);
	if (plain) return { name: plain[1], qualifier: plain[2] };
	return undefined;
}

export class LambdaService {
	private readonly byName: Map<string, FunctionDefinition>;
	private readonly markerSecret = randomUUID();

	constructor(private readonly functions: FunctionDefinition[]) {
		this.byName = new Map(functions.map((fn) => [fn.name, fn]));
	}

	get(name: string): FunctionDefinition | undefined {
		return this.byName.get(name);
	}

	/** Validates an Invoke request the way Lambda does, then prepares the run. */
	invoke(request: InvokeRequest): InvokeOutcome {
		const parsed = parseFunctionName(request.rawName);
		if (!parsed) {
			return { reply: lambdaError(400, 'InvalidParameterValueException', '1 validation error detected: Value at \'functionName\' failed to satisfy constraint') };
		}
		const queryQualifier = request.query.Qualifier || undefined;
		const base = { functionName: parsed.name, qualifier: parsed.qualifier ?? queryQualifier };
		if (parsed.qualifier && queryQualifier && parsed.qualifier !== queryQualifier) {
			return { ...base, reply: lambdaError(400, 'InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.') };
		}
		const arn = `arn:aws:lambda:${request.region}:${request.accountId}:function:${parsed.name}`;
		if (parsed.arnRegion && parsed.arnRegion !== request.region) {
			return { ...base, reply: lambdaError(404, 'ResourceNotFoundException', `Functions from '${parsed.arnRegion}' are not reachable in this region ('${request.region}')`) };
		}
		const fn = this.byName.get(parsed.name);
		if (fn && base.qualifier === LATEST_PUBLISHED && fn.versions.length === 0) {
			return { ...base, reply: lambdaError(400, 'NoPublishedVersionException', `The function ${arn} has no published version. Publish a version or invoke another qualifier.`) };
		}
		const executedVersion = fn && resolveVersion(fn, base.qualifier);
		if (!fn || !executedVersion || (parsed.accountId && parsed.accountId !== request.accountId)) {
			return { ...base, reply: lambdaError(404, 'ResourceNotFoundException', `Function not found: ${arn}${base.qualifier ? `:${base.qualifier}` : ''}`) };
		}
		const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
		if (request.streaming && invocationType === 'Event') {
			return { ...base, reply: lambdaError(400, 'InvalidParameterValueException', "1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]") };
		}
		const limit = invocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
		if (request.body.length > limit) {
			return { ...base, reply: lambdaError(413, 'RequestTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`) };
		}
		let event: unknown = {};
		if (request.body.length > 0) {
			try {
				event = JSON.parse(request.body.toString('utf8'));
			} catch (error) {
				return { ...base, reply: lambdaError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`) };
			}
		}
		let clientContext: unknown;
		const encodedContext = request.headers['x-amz-client-context'];
		if (encodedContext) {
			try {
				clientContext = JSON.parse(Buffer.from(encodedContext, 'base64').toString('utf8'));
			} catch {
				return { ...base, reply: lambdaError(400, 'InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.') };
			}
		}
		const tenantId = request.headers['x-amz-tenant-id'];
		const tenancyProblem = tenancyRefusal(fn, tenantId);
		if (tenancyProblem) return { ...base, tenantId, reply: tenancyProblem };
		const outcome = { ...base, executedVersion, clientContext, tenantId };
		if (fn.state === 'Pending') {
			return { ...outcome, reply: lambdaError(409, 'ResourceConflictException', 'The operation cannot be performed at this time. The function is currently in the following state: Pending') };
		}
		if (fn.state !== 'Active') {
			return { ...outcome, reply: lambdaError(502, 'ResourceNotReadyException', `The function is currently in the following state: ${fn.state}`) };
		}
		const context = {
			functionName: fn.name,
			functionVersion: executedVersion,
			invokedFunctionArn: base.qualifier ? `${arn}:${base.qualifier}` : arn,
			clientContext,
			tenantId,
		};
		if (invocationType === 'DryRun') return { ...outcome, reply: { status: 204 } };
		if (invocationType === 'Event') {
			const run = async () => await runHandler(fn, event, context);
			void run();
			return { ...outcome, reply: { status: 202, headers: { 'Content-Type': 'application/json' } }, run };
		}
		if (request.streaming) {
			const run = async (): Promise<Reply> => ({
				status: 200,
				headers: { 'X-Amz-Executed-Version': executedVersion },
				stream: await runStreamingHandler(fn, event, context, request.headers['x-amz-log-type'] === 'Tail'),
			});
			return { ...outcome, reply: { status: 200 }, run };
		}
		const run = async () => {
			const result = await runHandler(fn, event, context);
			const headers: Record<string, string> = { ...result.headers, 'X-Amz-Executed-Version': executedVersion };
			if (request.headers['x-amz-log-type'] !== 'Tail') delete headers['X-Amz-Log-Result'];
			return { ...result, headers };
		};
		return { ...outcome, reply: { status: 200 }, run };
	}

	listFunctions(query: Record<string, string>, region: string, accountId: string): Reply {
		const maxItems = query.MaxItems === undefined ? MAX_PAGE : Number(query.MaxItems);
		if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000) {
			return lambdaError(400, 'InvalidParameterValueException', `1 validation error detected: Value '${query.MaxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`);
		}
		const allVersions = query.FunctionVersion === 'ALL';
		if (query.FunctionVersion !== undefined && !allVersions) {
			return lambdaError(400, 'InvalidParameterValueException', `Invalid FunctionVersion: ${query.FunctionVersion}`);
		}
		if (query.MasterRegion !== undefined && !allVersions) {
			return lambdaError(400, 'InvalidParameterValueException', 'MasterRegion requires FunctionVersion to be ALL');
		}
		const entries = this.functions.flatMap((fn) =>
			allVersions ? ['$LATEST', ...fn.versions].map((version) => configuration(fn, version, region, accountId, true)) : [configuration(fn, '$LATEST', region, accountId, false)],
		);
		const scope = allVersions ? 'ALL' : 'LATEST';
		let offset = 0;
		if (query.Marker !== undefined && query.Marker !== '') {
			const decoded = this.readMarker(query.Marker, scope);
			if (decoded === undefined) return lambdaError(400, 'InvalidParameterValueException', 'Invalid pagination token');
			offset = decoded;
		}
		const pageSize = Math.min(maxItems, MAX_PAGE);
		const page = query.MasterRegion !== undefined ? [] : entries.slice(offset, offset + pageSize);
		const next = offset + page.length;
		const body: Record<string, unknown> = { Functions: page };
		if (page.length > 0 && next < entries.length) body.NextMarker = this.marker(next, scope);
		return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
	}

	private marker(offset: number, scope: string): string {
		const payload = `${offset}:${scope}`;
		const mac = createHmac('sha256', this.markerSecret).update(payload).digest('base64url').slice(0, 16);
		return Buffer.from(`${payload}:${mac}`).toString('base64url');
	}

	private readMarker(marker: string, scope: string): number | undefined {
		const [offset, markerScope, mac] = Buffer.from(marker, 'base64url').toString('utf8').split(':');
		const expected = createHmac('sha256', this.markerSecret).update(`${offset}:${markerScope}`).digest('base64url').slice(0, 16);
		return mac === expected && markerScope === scope ? Number(offset) : undefined;
	}
}

/**
 * AWS answers both tenancy mistakes with InvalidParameterValueException (its troubleshooting guide
 * for tenant isolation); the messages say which mistake it was.
 */
function tenancyRefusal(fn: FunctionDefinition, tenantId: string | undefined): Reply | undefined {
	if (fn.tenantIsolated && !tenantId) {
		return lambdaError(400, 'InvalidParameterValueException', 'The invoked function has tenant isolation enabled. Add a tenant ID to the request (X-Amz-Tenant-Id) and try again.');
	}
	if (!fn.tenantIsolated && tenantId !== undefined) {
		return lambdaError(400, 'InvalidParameterValueException', 'The invoked function does not have tenant isolation enabled. Remove the tenant ID from the request and try again.');
	}
	if (tenantId !== undefined && tenantId.length > MAX_TENANT_ID) {
		return lambdaError(400, 'InvalidParameterValueException', `1 validation error detected: Value at 'tenantId' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TENANT_ID}`);
	}
	return undefined;
}

function resolveVersion(fn: FunctionDefinition, qualifier: string | undefined): string | undefined {
	if (!qualifier || qualifier === '$LATEST') return '$LATEST';
	if (qualifier === LATEST_PUBLISHED) return fn.versions.at(-1);
	if (fn.versions.includes(qualifier)) return qualifier;
	return fn.aliases[qualifier];
}

function configuration(fn: FunctionDefinition, version: string, region: string, accountId: string, qualifyArn: boolean) {
	const arn = `arn:aws:lambda:${region}:${accountId}:function:${fn.name}`;
	return {
		FunctionName: fn.name,
		FunctionArn: qualifyArn ? `${arn}:${version}` : arn,
		Runtime: 'nodejs20.x',
		Role: `arn:aws:iam::${accountId}:role/service-role/${fn.name}-role`,
		Handler: 'index.handler',
		CodeSize: 1024,
		Description: fn.description,
		Timeout: 30,
		MemorySize: fn.memorySize,
		LastModified: '2026-01-15T10:00:00.000+0000',
		CodeSha256: 'bG9jYWwtZml4dHVyZS1jb2RlLWhhc2g=',
		Version: version,
		TracingConfig: { Mode: 'PassThrough' },
		RevisionId: `${fn.name}-${version}`,
		PackageType: 'Zip',
		Architectures: ['x86_64'],
		EphemeralStorage: { Size: 512 },
		Environment: { Variables: { TABLE: `${fn.name}-table`, DB_PASSWORD: 'fixture-db-password' } },
		...(fn.tenantIsolated ? { TenancyConfig: { TenantIsolationMode: 'PER_TENANT' } } : {}),
	};
}

/** Runs a fixture handler the way the Lambda runtime does: result as JSON, errors as function errors. */
async function runHandler(fn: FunctionDefinition, event: unknown, context: RunContext): Promise<Reply> {
	const run = startRun(fn, context);
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	let body: Buffer;
	try {
		body = await bufferedResult(await fn.handler(event, run.context));
	} catch (error) {
		headers['X-Amz-Function-Error'] = functionErrorKind(error);
		body = Buffer.from(errorDocument(error));
	}
	headers['X-Amz-Log-Result'] = run.logTail();
	return { status: 200, headers, body };
}
