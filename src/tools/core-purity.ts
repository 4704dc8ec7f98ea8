import { builtinModules } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The rule that makes the simulator honest: code under src/core touches no real I/O, time or
 * randomness. It may not import Node's built-in modules, nor use the globals through which real time,
 * randomness, timers or the process leak in. Nor may it reach past src/core: no relative import that
 * leaves the folder (the simulator, src/testing, sim/), and no package that is not one of
 * package.json's `dependencies` (so no dev dependency such as fast-check or vitest, and nothing only
 * installed on their behalf). Imports, `export ... from`, dynamic `import()`, `import x = require()`,
 * `import('...')` types and `/// <reference types>` all count. Test files (*.test.ts) are exempt.
 */
const forbiddenGlobals = new Set([
  'Date',
  'performance',
  'process',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'require',
  'globalThis',
  'fetch',
  'crypto',
]);

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** What package.json allows core to import. */
export interface PackageRules {
  /** Packages core may import: package.json `dependencies`. */
  readonly dependencies: ReadonlySet<string>;
  /** Named in the message when core imports one of them: package.json `devDependencies`. */
  readonly devDependencies: ReadonlySet<string>;
}

const packageJsonPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');

/** The rules from the repository's package.json. */
export function readPackageRules(file = packageJsonPath): PackageRules {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: object; devDependencies?: object };
  return {
    dependencies: new Set(Object.keys(json.dependencies ?? {})),
    devDependencies: new Set(Object.keys(json.devDependencies ?? {})),
  };
}

export interface Impurity {
  file: string;
  line: number;
  what: string;
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(specifier.split('/')[0]!);
}

/** 'fast-check/lib/x' -> 'fast-check', '@types/node/fs' -> '@types/node'. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Why `file` (a path relative to the checked folder) may not import `specifier`, or null when it may. */
function importProblem(file: string, specifier: string, packages: PackageRules): string | null {
  if (isBuiltin(specifier)) return `imports '${specifier}'`;
  if (specifier.startsWith('/')) return `imports '${specifier}', outside src/core`;
  if (specifier.startsWith('.')) {
    const from = path.posix.dirname(file.split(path.sep).join('/'));
    const target = path.posix.normalize(path.posix.join(from, specifier));
    return target === '..' || target.startsWith('../') ? `imports '${specifier}', outside src/core` : null;
  }
  const name = packageName(specifier);
  if (packages.devDependencies.has(name)) return `imports '${specifier}', a dev dependency`;
  if (!packages.dependencies.has(name)) return `imports '${specifier}', not a dependency in package.json`;
  return null;
}

/** The module a node names, when it is an import, export-from, dynamic import, require-import or import type. */
function moduleSpecifier(node: ts.Node): ts.StringLiteral | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
    return ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier : undefined;
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    const arg = node.arguments[0];
    return arg !== undefined && ts.isStringLiteral(arg) ? arg : undefined;
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    const expression = node.moduleReference.expression;
    return ts.isStringLiteral(expression) ? expression : undefined;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
    return node.argument.literal;
  }
  return undefined;
}

/** True when `node` is an identifier used as a value or type reference (not a property or declaration name). */
function isFreeUse(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent)) && parent.name === node) return false;
  if ((ts.isPropertySignature(parent) || ts.isMethodSignature(parent) || ts.isEnumMember(parent)) && parent.name === node) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent)) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isBindingElement(parent)) return false;
  return true;
}

/** Every impurity in one file; `file` is its path relative to the checked folder (src/core). */
export function checkSource(file: string, text: string, packages: PackageRules = readPackageRules()): Impurity[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Impurity[] = [];
  const report = (node: ts.Node, what: string): void => {
    found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, what });
  };
  for (const reference of source.typeReferenceDirectives) {
    const problem = importProblem(file, reference.fileName, packages);
    if (problem !== null) found.push({ file, line: source.getLineAndCharacterOfPosition(reference.pos).line + 1, what: problem });
  }
  const visit = (node: ts.Node): void => {
    const specifier = moduleSpecifier(node);
    const problem = specifier === undefined ? null : importProblem(file, specifier.text, packages);
    if (problem !== null) report(node, problem);
    if (ts.isPropertyAccessExpression(node) && node.expression.getText(source) === 'Math' && node.name.text === 'random') {
      report(node, 'uses Math.random');
    }
    if (ts.isIdentifier(node) && forbiddenGlobals.has(node.text) && isFreeUse(node)) report(node, `uses global '${node.text}'`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return sourceFiles(full);
      return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
    });
}

/** Every impurity in the non-test .ts files under `dir` (src/core, or a copy of it in tests). */
export function checkCorePurity(dir: string, packages: PackageRules = readPackageRules()): Impurity[] {
  return sourceFiles(dir).flatMap((file) => checkSource(path.relative(dir, file), readFileSync(file, 'utf8'), packages));
}
