// ESLint 9 flat config with n8n's community-node rule sets (eslint-plugin-n8n-nodes-base).
// n8n Cloud verification is out of reach for this package (it depends on the AWS SDK, and n8n ships
// its own AWS Lambda node), so the cloud-only rules of @n8n/node-cli are not applied.
import tsParser from '@typescript-eslint/parser';
import * as jsonParser from 'jsonc-eslint-parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

const plugins = { 'n8n-nodes-base': n8nNodesBase };

export default [
	{ ignores: ['dist/**', '.build/**', 'node_modules/**', 'coverage/**'] },
	{
		files: ['package.json'],
		languageOptions: { parser: jsonParser },
		plugins,
		rules: {
			...n8nNodesBase.configs.community.rules,
		},
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: { parser: tsParser },
		plugins,
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Documentation links point at AWS's IAM guides, which is what a user needs when creating keys.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-documentation-url-not-http-url': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: { parser: tsParser },
		plugins,
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These two want the string 'main'; n8n-workflow exports the typed NodeConnectionTypes.Main for it,
			// which is what n8n's own nodes and the community node starter use today.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
];
