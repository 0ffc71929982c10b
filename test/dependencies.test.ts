/**
 * Every package the shipped sources import is declared in package.json. An undeclared one only
 * resolves by accident (hoisted from the AWS SDK's own tree) and breaks when that tree changes.
 * Imports that survive compilation must be runtime dependencies (or n8n's peer dependency):
 * n8n installs a community package without its devDependencies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '..');
const shippedFolders = ['nodes', 'credentials'];

interface PackageImport {
	file: string;
	packageName: string;
	typeOnly: boolean;
}

interface Manifest {
	dependencies?: Record<string, string>;
	devDependencies?: Record<string, string>;
	peerDependencies?: Record<string, string>;
}

function sourceFiles(folder: string): string[] {
	return readdirSync(folder, { withFileTypes: true, recursive: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
		.map((entry) => join(entry.parentPath, entry.name));
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; relative paths and Node built-ins → undefined. */
function packageNameOf(specifier: string): string | undefined {
	if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
	const parts = specifier.split('/');
	return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isTypeOnlyImport(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
	return ts.isImportDeclaration(node) ? Boolean(node.importClause?.isTypeOnly) : node.isTypeOnly;
}

/** The specifier of an import/export declaration, a dynamic `import()` or a `typeof import()` type. */
function specifierOf(node: ts.Node): { specifier: string; typeOnly: boolean } | undefined {
	if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
		return { specifier: node.moduleSpecifier.text, typeOnly: isTypeOnlyImport(node) };
	}
	if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0])) {
		return { specifier: node.arguments[0].text, typeOnly: false };
	}
	if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
		return { specifier: node.argument.literal.text, typeOnly: true };
	}
	return undefined;
}

function packageImports(file: string): PackageImport[] {
	const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
	const found: PackageImport[] = [];
	const visit = (node: ts.Node) => {
		const imported = specifierOf(node);
		const packageName = imported && packageNameOf(imported.specifier);
		if (imported && packageName) found.push({ file: relative(root, file), packageName, typeOnly: imported.typeOnly });
		ts.forEachChild(node, visit);
	};
	visit(source);
	return found;
}

function undeclaredImports(imports: PackageImport[], manifest: Manifest): string[] {
	const atRuntime = { ...manifest.peerDependencies, ...manifest.dependencies };
	const atBuild = { ...atRuntime, ...manifest.devDependencies };
	return imports
		.filter(({ packageName, typeOnly }) => !(packageName in (typeOnly ? atBuild : atRuntime)))
		.map(({ file, packageName, typeOnly }) =>
			typeOnly
				? `${file} imports types from ${packageName}: add it to devDependencies`
				: `${file} imports ${packageName} at runtime: add it to dependencies`,
		);
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const shippedImports = shippedFolders.flatMap((folder) => sourceFiles(join(root, folder))).flatMap(packageImports);

describe('package.json declares what the shipped sources import', () => {
	it('finds the imports it checks, type-only ones included', () => {
		const names = new Set(shippedImports.map(({ packageName }) => packageName));
		expect([...names]).toEqual(expect.arrayContaining(['n8n-workflow', '@aws-sdk/client-lambda', '@smithy/types']));
		expect(shippedImports).toContainEqual(expect.objectContaining({ packageName: '@smithy/types', typeOnly: true }));
	});

	it('declares every imported package, runtime imports as runtime dependencies', () => {
		expect(undeclaredImports(shippedImports, manifest)).toEqual([]);
	});
});
