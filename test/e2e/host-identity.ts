/**
 * The Assume Role credential with Credentials Source "n8n Host's AWS Identity" in real n8n: n8n
 * started with the opt-in and the instance metadata endpoint (then the web identity variables)
 * pointing at the local endpoint; a workflow executes; the credential Test endpoint names the
 * identity and the source; without the opt-in the same workflow fails with the clear error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDataObject, IWorkflowBase } from 'n8n-workflow';

import type { LocalAws } from '../support/aws-endpoint';
import { DEFAULT_ROLE_ARN } from '../support/aws-endpoint';
import { DEFAULT_WEB_IDENTITY_TOKEN, WEB_IDENTITY_ROLE_ARN } from '../support/aws-endpoint/hostIdentity';
import { LAMBDA_NODE_TYPE, loadExamples } from '../support/examples';
import { assumeRoleCredential } from '../support/lambda-node';
import { rest, withEditor } from './editor';
import type { N8nLine, RecordCheck } from './n8n';
import { lambdaItems, n8nEnv, parseRawOutput, runN8n, tail } from './n8n';


const OPT_IN = 'N8N_AWS_SYSTEM_CREDENTIALS_ACCESS_ENABLED';
const CREDENTIAL = { id: 'awsLambdaHostRole1', name: 'AWS Lambda (Assume Role) via the n8n host', type: 'awsLambdaAssumeRoleApi' };
const WORKFLOW_ID = 'e2eHostIdentity';
const NODE_NAME = 'Invoke as role';

/**
 * Every variable a host source reads, emptied: the machine running the suite may hold AWS settings
 * of its own, which must not pick the source instead of the case under test.
 */
const NO_HOST_SOURCE: NodeJS.ProcessEnv = {
	[OPT_IN]: 'false',
	AWS_ACCESS_KEY_ID: '',
	AWS_SECRET_ACCESS_KEY: '',
	AWS_SESSION_TOKEN: '',
	AWS_WEB_IDENTITY_TOKEN_FILE: '',
	AWS_ROLE_ARN: '',
	AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
	AWS_CONTAINER_AUTHORIZATION_TOKEN: '',
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '',
	AWS_EC2_METADATA_SERVICE_ENDPOINT: '',
	AWS_EC2_METADATA_DISABLED: 'true',
};

interface HostCase {
	name: string;
	env: NodeJS.ProcessEnv;
	source: 'imds' | 'webIdentity';
}

export async function runHostIdentityChecks(line: N8nLine, userFolder: string, aws: LocalAws, record: RecordCheck): Promise<void> {
	let started = performance.now();
	const imported = await importCredentialAndWorkflow(line, userFolder, aws);
	record('host identity: import an Assume Role credential with source host and its workflow', imported, started);
	if (imported) return;

	const tokenFile = join(userFolder, 'irsa-token');
	writeFileSync(tokenFile, DEFAULT_WEB_IDENTITY_TOKEN);
	const cases: HostCase[] = [
		{ name: 'instance profile (IMDSv2)', source: 'imds', env: { ...NO_HOST_SOURCE, [OPT_IN]: 'true', AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url } },
		{ name: 'web identity (EKS IRSA)', source: 'webIdentity', env: { ...NO_HOST_SOURCE, [OPT_IN]: 'true', AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: WEB_IDENTITY_ROLE_ARN } },
	];
	for (const hostCase of cases) {
		started = performance.now();
		record(`host identity: execute with the ${hostCase.name}`, await executeWithHost(line, userFolder, aws, hostCase), started);
	}

	started = performance.now();
	record('host identity: without the opt-in the workflow fails naming the variable', await executeWithoutOptIn(line, userFolder, aws), started);

	started = performance.now();
	record('host identity: credential Test endpoint names the identity and the source', await pressTestButton(line, userFolder, aws, cases[0].env), started);
}

async function importCredentialAndWorkflow(line: N8nLine, userFolder: string, aws: LocalAws): Promise<string | undefined> {
	const credentialsFile = join(userFolder, 'host-credential.json');
	writeFileSync(credentialsFile, JSON.stringify([{ ...CREDENTIAL, data: hostCredential(aws) }]));
	const credential = await runN8n(line, userFolder, ['import:credentials', `--input=${credentialsFile}`]);
	if (credential.status !== 0) return tail(credential);
	const workflowFile = join(userFolder, 'host-workflow.json');
	writeFileSync(workflowFile, JSON.stringify([hostWorkflow()]));
	const workflow = await runN8n(line, userFolder, ['import:workflow', `--input=${workflowFile}`]);
	return workflow.status === 0 ? undefined : tail(workflow);
}

function hostCredential(aws: LocalAws): IDataObject {
	return assumeRoleCredential(aws, { credentialsSource: 'host', accessKeyId: '', secretAccessKey: '' });
}

/** The assumed-role example, its credential swapped for the host-sourced one. */
function hostWorkflow(): IWorkflowBase {
	const example = loadExamples().find((candidate) => candidate.file === 'assume-role-external-id.json');
	if (!example) throw new Error('examples/assume-role-external-id.json is missing');
	const workflow = structuredClone(example.workflow);
	const lambda = workflow.nodes.find((node) => node.type === LAMBDA_NODE_TYPE);
	if (!lambda || lambda.name !== NODE_NAME) throw new Error(`the example has no node named ${NODE_NAME}`);
	lambda.credentials = { awsLambdaAssumeRoleApi: { id: CREDENTIAL.id, name: CREDENTIAL.name } };
	return { ...workflow, id: WORKFLOW_ID, name: 'Invoke through a role assumed with the n8n host identity' };
}

async function executeWithHost(line: N8nLine, userFolder: string, aws: LocalAws, hostCase: HostCase): Promise<string | undefined> {
	aws.clearLog();
	const fetchedBefore = aws.hostIdentity.issued[hostCase.source];
	const result = await runN8n(line, userFolder, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], hostCase.env);
	const items = lambdaItems(parseRawOutput(result.stdout), NODE_NAME);
	const hostKeys = new Set(aws.hostIdentity.handedOut.map((key) => key.accessKeyId));
	const assumed = aws.log.filter((entry) => entry.action === 'AssumeRole');
	const lambda = aws.log.filter((entry) => entry.service === 'lambda');
	const problems = [
		result.status === 0 ? undefined : `exit ${result.status}`,
		items.length === 1 && items[0].statusCode === 200 ? undefined : `expected 1 item with statusCode 200, got ${JSON.stringify(items).slice(0, 300)}`,
		aws.hostIdentity.issued[hostCase.source] > fetchedBefore ? undefined : `the ${hostCase.name} was never asked`,
		assumed.length === 1 && hostKeys.has(assumed[0].accessKeyId ?? '') ? undefined : `expected one AssumeRole signed with a host key, got ${JSON.stringify(assumed.map((entry) => entry.accessKeyId))}`,
		lambda.length > 0 && lambda.every((entry) => entry.accessKeyId?.startsWith('ASIALOCAL') && !hostKeys.has(entry.accessKeyId)) ? undefined : `a Lambda call was not signed with the role's session: ${JSON.stringify(lambda.map((entry) => entry.accessKeyId))}`,
		leakedHostSecret(aws, `${result.stdout}\n${result.stderr}`),
	].filter((problem): problem is string => problem !== undefined);
	return problems.length === 0 ? undefined : `${problems.join('; ')}\n${tail(result)}`;
}

async function executeWithoutOptIn(line: N8nLine, userFolder: string, aws: LocalAws): Promise<string | undefined> {
	aws.clearLog();
	const result = await runN8n(line, userFolder, ['execute', `--id=${WORKFLOW_ID}`, '--rawOutput'], { ...NO_HOST_SOURCE, AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url });
	const output = `${result.stdout}\n${result.stderr}`;
	if (result.status === 0) return `the workflow succeeded without ${OPT_IN}\n${tail(result)}`;
	if (!output.includes('n8n Host\'s AWS Identity is turned off') || !output.includes(`${OPT_IN}=true`)) return `the error does not name ${OPT_IN}\n${tail(result)}`;
	return aws.log.length === 0 ? undefined : `${aws.log.length} request(s) reached AWS without the opt-in`;
}

/** `n8n start` with the host source turned on, the owner signed in, and the Test button's REST call. */
async function pressTestButton(line: N8nLine, userFolder: string, aws: LocalAws, hostEnv: NodeJS.ProcessEnv): Promise<string | undefined> {
	const checks = await withEditor({ bin: line.bin, env: await n8nEnv(line, userFolder, hostEnv), userFolder }, async (session) => {
		const tested = await rest(session.base, '/credentials/test', { credentials: { ...CREDENTIAL, data: hostCredential(aws) } }, session.cookie);
		const answer = tested.json?.data as { status?: string; message?: string } | undefined;
		const expected = new RegExp(`^Assumed ${DEFAULT_ROLE_ARN} as arn:aws:sts::\\d{12}:assumed-role/n8n-lambda-invoker/\\S+ using the instance profile$`);
		const problem = answer?.status !== 'OK' || !expected.test(answer.message ?? '') ? `status ${tested.status}: ${tested.text.slice(0, 300)}` : leakedHostSecret(aws, tested.text);
		return [{ name: 'credential Test endpoint', problem }];
	});
	const problems = checks.flatMap((check) => (check.problem ? [`${check.name}: ${check.problem}`] : []));
	return problems.length === 0 ? undefined : problems.join('\n');
}

function leakedHostSecret(aws: LocalAws, text: string): string | undefined {
	const secrets = [DEFAULT_WEB_IDENTITY_TOKEN, ...aws.hostIdentity.handedOut.flatMap((key) => [key.secretAccessKey, key.sessionToken ?? ''])];
	return secrets.some((secret) => secret && text.includes(secret)) ? 'a host secret or token appears in n8n\'s output' : undefined;
}
