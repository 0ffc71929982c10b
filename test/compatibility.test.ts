/**
 * n8n releases before n8n-workflow exported NodeConnectionTypes (n8n 1.x before early 2025) give the
 * node an n8n-workflow without it: the node must still load and declare its main input and output.
 */
import type { INodeTypeDescription } from 'n8n-workflow';

describe('Loading on an older n8n-workflow', () => {
	// Loaded before the test, not in it: mutation testing then counts the package's module-level
	// constants as loaded by every test (static), not as covered by this one test alone.
	let description: INodeTypeDescription;
	beforeAll(() => {
		jest.doMock('n8n-workflow', () => {
			const { NodeConnectionTypes: _absent, ...older } = jest.requireActual<Record<string, unknown>>('n8n-workflow');
			return older;
		});
		jest.isolateModules(() => {
			const { AwsLambda } = jest.requireActual<typeof import('../nodes/AwsLambda/AwsLambda.node')>('../nodes/AwsLambda/AwsLambda.node');
			description = new AwsLambda().description;
		});
	});
	afterAll(() => {
		jest.resetModules();
		jest.dontMock('n8n-workflow');
	});

	it('loads without NodeConnectionTypes and declares one main input and output', () => {
		expect(description.inputs).toEqual(['main']);
		expect(description.outputs).toEqual(['main']);
	});
});
