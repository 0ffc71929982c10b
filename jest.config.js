/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: '<rootDir>/test/support/jest-environment.js',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }] },
	testTimeout: 60_000,
};
