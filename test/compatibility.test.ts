/**
 * n8n releases before n8n-workflow exported NodeConnectionTypes (n8n 1.x before early 2025) give the
 * node an n8n-workflow without it: the node must still load and declare its main input and output.
 */
describe('Loading on an older n8n-workflow', () => {
	afterEach(() => {
		jest.resetModules();
		jest.dontMock('n8n-workflow');
	});

	it('loads without NodeConnectionTypes and declares one main input and output', () => {
		jest.doMock('n8n-workflow', () => {
			const { NodeConnectionTypes: _absent, ...older } = jest.requireActual<Record<string, unknown>>('n8n-workflow');
			return older;
		});
		jest.isolateModules(() => {
			const { AwsLambda } = jest.requireActual<typeof import('../nodes/AwsLambda/AwsLambda.node')>('../nodes/AwsLambda/AwsLambda.node');
			const { description } = new AwsLambda();
			expect(description.inputs).toEqual(['main']);
			expect(description.outputs).toEqual(['main']);
		});
	});
});
