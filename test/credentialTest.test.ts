import type { ICredentialsDecrypted, IDataObject } from 'n8n-workflow';

import { AwsLambda } from '../nodes/AwsLambda/AwsLambda.node';
import { setStsTimeouts, stsTargetForRole, stsTargetsForAccessKey } from '../nodes/AwsLambda/transport/sts';
import type { LocalAws } from './support/aws-endpoint';
import { DEFAULT_EXTERNAL_ID, DEFAULT_KEY, DEFAULT_ROLE_ARN } from './support/aws-endpoint';
import { credentialTestContext } from './support/engine';
import { accessKeyCredential, assumeRoleCredential, invokeParameters, runLambda, useLocalAws } from './support/lambda-node';

const CHINA_ROLE_ARN = 'arn:aws-cn:iam::123456789012:role/n8n-lambda-invoker-cn';
const GOVCLOUD_ROLE_ARN = 'arn:aws-us-gov:iam::123456789012:role/n8n-lambda-invoker-gov';

let aws: LocalAws;
useLocalAws(
	{
		keys: [DEFAULT_KEY],
		roles: [
			{ roleArn: DEFAULT_ROLE_ARN, externalId: DEFAULT_EXTERNAL_ID },
			{ roleArn: CHINA_ROLE_ARN },
			{ roleArn: GOVCLOUD_ROLE_ARN },
		],
	},
	(server) => {
		aws = server;
	},
);
afterEach(() => setStsTimeouts(undefined));

const node = new AwsLambda();
const pressTest = async (type: string, data: IDataObject) =>
	await node.methods.credentialTest.awsLambdaCredentialTest.call(credentialTestContext(), {
		id: '1',
		name: 'test',
		type,
		data,
	} as ICredentialsDecrypted);
const pressRoleTest = async (extra: IDataObject = {}) =>
	await pressTest('awsLambdaAssumeRoleApi', assumeRoleCredential(aws, extra));
const signedRegions = () => aws.log.map((entry) => `${entry.action}@${entry.region ?? '?'}`);

describe('Test button: STS Region of the partition', () => {
	it.each([
		[DEFAULT_ROLE_ARN, 'us-east-1'],
		[CHINA_ROLE_ARN, 'cn-north-1'],
		[GOVCLOUD_ROLE_ARN, 'us-gov-west-1'],
	])('a role %s is assumed and identified in %s', async (roleArn, region) => {
		const result = await pressRoleTest({ roleArn, externalId: roleArn === DEFAULT_ROLE_ARN ? DEFAULT_EXTERNAL_ID : '' });
		expect(result.status).toBe('OK');
		expect(signedRegions()).toEqual([`AssumeRole@${region}`, `GetCallerIdentity@${region}`]);
	});

	it('an access key is tried in the commercial partition first, and is done when it is known there', async () => {
		const result = await pressTest('awsLambdaAccessKeyApi', accessKeyCredential(aws));
		expect(result.status).toBe('OK');
		expect(signedRegions()).toEqual(['GetCallerIdentity@us-east-1']);
	});

	it('an access key unknown to the commercial partition is tried in China and GovCloud, and the error names all three', async () => {
		const result = await pressTest(
			'awsLambdaAccessKeyApi',
			accessKeyCredential(aws, { accessKeyId: 'AKIALOCALTESTNOBODY0', secretAccessKey: 'x-secret-DO-NOT-LEAK' }),
		);
		expect(result.status).toBe('Error');
		expect(signedRegions()).toEqual([
			'GetCallerIdentity@us-east-1',
			'GetCallerIdentity@cn-north-1',
			'GetCallerIdentity@us-gov-west-1',
		]);
		expect(result.message).toMatch(/does not recognise the access key ID/);
		expect(result.message).toMatch(/aws \(us-east-1\), aws-cn \(cn-north-1\) and aws-us-gov \(us-gov-west-1\)/);
	});
});

describe('Test button: really asks AWS', () => {
	it('assumes the role again every time it is pressed', async () => {
		await pressRoleTest({ roleSessionName: 'pressed-twice' });
		const again = await pressRoleTest({ roleSessionName: 'pressed-twice' });
		expect(again.status).toBe('OK');
		expect(aws.log.map((entry) => entry.action)).toEqual([
			'AssumeRole',
			'GetCallerIdentity',
			'AssumeRole',
			'GetCallerIdentity',
		]);
	});

	it('gives up on a hung STS within the STS deadline', async () => {
		setStsTimeouts({ deadlineMs: 300 });
		aws.faults.hang(1, { match: { service: 'sts' } });
		const result = await pressRoleTest({ roleSessionName: 'button-hung' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/STS at http:\/\/127\.0\.0\.1:\d+ did not answer within 0\.3 seconds/);
	});
});

describe('STS Region for an access key on the Test button', () => {
	it.each([
		['https://sts.cn-north-1.amazonaws.com.cn', [{ region: 'cn-north-1', partition: 'aws-cn' }]],
		['https://sts-fips.us-gov-east-1.amazonaws.com', [{ region: 'us-gov-east-1', partition: 'aws-us-gov' }]],
		[
			'http://127.0.0.1:4566',
			[
				{ region: 'us-east-1', partition: 'aws' },
				{ region: 'cn-north-1', partition: 'aws-cn' },
				{ region: 'us-gov-west-1', partition: 'aws-us-gov' },
			],
		],
	])('STS endpoint %s: tried in %j', (endpoint, expected) => {
		expect(stsTargetsForAccessKey(endpoint)).toEqual(expected.map((target) => ({ ...target, endpoint })));
	});
});

describe('STS Region for a role in an execution', () => {
	it.each([
		[DEFAULT_ROLE_ARN, 'eu-west-1', undefined, 'eu-west-1'],
		[CHINA_ROLE_ARN, 'cn-northwest-1', undefined, 'cn-northwest-1'],
		[CHINA_ROLE_ARN, 'us-east-1', undefined, 'cn-north-1'],
		[GOVCLOUD_ROLE_ARN, 'eu-west-1', undefined, 'us-gov-west-1'],
		[DEFAULT_ROLE_ARN, 'us-east-1', 'https://sts.eu-central-1.amazonaws.com', 'eu-central-1'],
		[CHINA_ROLE_ARN, 'cn-north-1', 'https://sts-fips.cn-northwest-1.amazonaws.com.cn', 'cn-northwest-1'],
		[DEFAULT_ROLE_ARN, 'ap-south-1', 'http://127.0.0.1:4566', 'ap-south-1'],
	])('%s with the node in %s and STS endpoint %s: signed for %s', (roleArn, nodeRegion, endpoint, expected) => {
		expect(stsTargetForRole(roleArn, nodeRegion, endpoint).region).toBe(expected);
	});

	it('assumes a China role in China while the node\'s Region is commercial', async () => {
		const result = await runLambda(aws, {
			parameters: invokeParameters('echo', { authentication: 'assumeRole' }),
			credentials: {
				awsLambdaAssumeRoleApi: assumeRoleCredential(aws, { roleArn: CHINA_ROLE_ARN, externalId: '', roleSessionName: 'cn-run' }),
			},
		});
		expect(result.error).toBeUndefined();
		expect(signedRegions()).toEqual(['AssumeRole@cn-north-1', 'Invoke@us-east-1']);
	});
});
