import { builtinModules } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The rule that makes the simulator honest: code under src/core touches no real I/O, time or
 * randomness. It may not import Node's built-in modules, nor use the globals through which real time,
 * randomness, timers or the process leak in. Test files (*.test.ts) are exempt.
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

export interface Impurity {
  file: string;
  line: number;
  what: string;
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(specifier.split('/')[0]!);
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

export function checkSource(file: string, text: string): Impurity[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Impurity[] = [];
  const report = (node: ts.Node, what: string): void => {
    found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, what });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      const specifier = (node.moduleSpecifier as ts.StringLiteral).text;
      if (isBuiltin(specifier)) report(node, `imports '${specifier}'`);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteral(arg) && isBuiltin(arg.text)) report(node, `imports '${arg.text}'`);
    }
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

/** Every impurity in the .ts files under `dir` (src/core by default). */
export function checkCorePurity(dir: string): Impurity[] {
  return sourceFiles(dir).flatMap((file) => checkSource(path.relative(dir, file), readFileSync(file, 'utf8')));
}
