import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

/** A PromQL expression or matcher list that does not parse; names what was wrong and where. */
export class PromqlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromqlSyntaxError';
  }
}

/** Parses PromQL with Prometheus' own lezer grammar; the grammar recovers from errors, so error nodes are refused. */
function parseStrict(expr: string, what: string): Tree {
  const tree = parser.parse(expr);
  let error: number | undefined;
  tree.iterate({
    enter: (node) => {
      if (error === undefined && node.type.isError) error = node.from;
    },
  });
  if (error !== undefined)
    throw new PromqlSyntaxError(`${what} is not valid PromQL at character ${error + 1}: ${JSON.stringify(expr)}`);
  return tree;
}

/** The direct children of a node. */
function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child);
  return out;
}

const matcherNodes = new Set(['UnquotedLabelMatcher', 'QuotedLabelMatcher', 'QuotedLabelName']);

/**
 * Parses a label matcher list as given to `render --selector`, e.g. `cluster="prod"` or `cluster="prod", env=~"a|b"`
 * (braces optional), into the matchers' source texts. A metric name, anything that is not a matcher, or a
 * matcher list that does not parse is refused with a PromqlSyntaxError.
 */
export function parseMatchers(list: string): string[] {
  const trimmed = list.trim();
  if (!trimmed.startsWith('{') && trimmed.includes('{'))
    throw new PromqlSyntaxError(
      `label selector ${JSON.stringify(list)} must be label matchers only, e.g. cluster="prod"`,
    );
  const braced = trimmed.startsWith('{') ? trimmed : `{${trimmed}}`;
  const tree = parseStrict(braced, `label selector ${JSON.stringify(list)}`);
  const top = children(tree.topNode);
  const selector = top.length === 1 && top[0]!.name === 'VectorSelector' ? children(top[0]!) : [];
  if (selector.length !== 1 || selector[0]!.name !== 'LabelMatchers')
    throw new PromqlSyntaxError(
      `label selector ${JSON.stringify(list)} must be label matchers only, e.g. cluster="prod"`,
    );
  const matchers = children(selector[0]!).filter((n) => matcherNodes.has(n.name));
  if (matchers.length === 0) throw new PromqlSyntaxError(`label selector ${JSON.stringify(list)} has no matcher`);
  return matchers.map((n) => braced.slice(n.from, n.to));
}

/**
 * Adds label matchers (source texts from {@link parseMatchers}) to every series selector of a PromQL expression:
 * instant and range selectors, inside functions, aggregations, binary operations (either side, `on()`/`group_left`
 * untouched), subqueries and `offset`/`@` modifiers. The expression is parsed with the real PromQL grammar and only
 * the selectors' label matcher lists are edited, so label names in `by`/`on` clauses and strings are never touched.
 * A matcher a selector already has word for word is not repeated.
 */
export function addMatchers(expr: string, matchers: string[]): string {
  if (matchers.length === 0) return expr;
  const tree = parseStrict(expr, 'expression');
  const edits: { at: number; text: string }[] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return;
      const parts = children(ref.node);
      const list = parts.find((n) => n.name === 'LabelMatchers');
      if (list === undefined) {
        const name = parts.find((n) => n.name === 'Identifier');
        if (name === undefined) throw new PromqlSyntaxError(`selector without name or matchers in ${expr}`);
        edits.push({ at: name.to, text: `{${matchers.join(', ')}}` });
        return false;
      }
      const present = new Set(
        children(list)
          .filter((n) => matcherNodes.has(n.name))
          .map((n) => expr.slice(n.from, n.to).replace(/\s+/g, '')),
      );
      const added = matchers.filter((m) => !present.has(m.replace(/\s+/g, '')));
      if (added.length === 0) return false;
      const close = list.to - 1;
      const before = expr.slice(list.from + 1, close).trimEnd();
      const separator = before === '' || before.endsWith(',') ? '' : ', ';
      edits.push({ at: list.from + 1 + before.length, text: `${separator}${added.join(', ')}` });
      return false;
    },
  });
  let out = expr;
  for (const edit of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, edit.at) + edit.text + out.slice(edit.at);
  return out;
}
