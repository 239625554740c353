// A problem found in the templates: where it is and what to do about it.
import { cell } from '../lib/markdown.js';

export interface Problem {
  /** Path relative to the template repo root, with forward slashes. */
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  message: string;
  /** A short heading for annotations ("Unknown key", "Dependency cycle"). */
  title?: string;
}

/** Sorts problems by file, then position, and drops exact duplicates. */
export function sortProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.file}:${p.line}:${p.column}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

/** `file:line:column: message`, the form editors and terminals link. */
export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return `${where}: ${p.message}`;
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A GitHub workflow command (`::error file=…::message`), so a CLI run in Actions annotates the diff. */
export function githubAnnotation(p: Problem, pathPrefix = ''): string {
  const props = [`file=${escapeProperty(pathPrefix + p.file)}`];
  if (p.line > 0) props.push(`line=${p.line}`, `col=${p.column}`);
  if (p.endLine && p.endLine === p.line && p.endColumn) props.push(`endColumn=${p.endColumn}`);
  if (p.title) props.push(`title=${escapeProperty(p.title)}`);
  return `::error ${props.join(',')}::${escapeData(p.message)}`;
}

/** A markdown table of problems for job summaries. */
export function problemsTable(problems: Problem[]): string {
  return ['| File | Line | Problem |', '| --- | ---: | --- |', ...problems.map((p) => `| \`${cell(p.file)}\` | ${p.line > 0 ? `${p.line}:${p.column}` : ''} | ${cell(p.message)} |`)].join('\n');
}
