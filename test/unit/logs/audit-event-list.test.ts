import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../collectors/logs/enrich/audit-event.ts';
import { EventListError, EventListParser } from '../../../collectors/logs/sources/audit-event-list.ts';

const event = (id: string): Record<string, unknown> => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  auditID: id,
  stage: 'ResponseComplete',
  verb: 'get',
  requestURI: '/api/v1/namespaces/ns/pods/x?q="é"',
});

/** Parses the text in pieces of `piece` bytes; the events handed on, or the error with them. */
function parse(text: string, piece = 7): { ids: string[]; error?: string } {
  const ids: string[] = [];
  const parser = new EventListParser((e: AuditEvent) => ids.push(e.auditID as string));
  const bytes = Buffer.from(text);
  try {
    for (let o = 0; o < bytes.length; o += piece) parser.write(bytes.subarray(o, o + piece));
    parser.finish();
    return { ids };
  } catch (error) {
    expect(error).toBeInstanceOf(EventListError);
    return { ids, error: (error as Error).message };
  }
}

describe('streamed EventList parse', () => {
  it('hands on each event of items as soon as it is complete, across any chunking', () => {
    const list = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event('a'), event('b')] });
    for (const piece of [1, 3, 64, 1 << 20]) expect(parse(list, piece)).toEqual({ ids: ['a', 'b'] });
    const seen: string[] = [];
    const parser = new EventListParser((e) => seen.push(e.auditID as string));
    const cut = list.indexOf(',{"kind"') + 1;
    parser.write(Buffer.from(list.slice(0, cut)));
    // The first event went on before the rest of the body arrived.
    expect(seen).toEqual(['a']);
    expect(parser.events).toBe(1);
    parser.write(Buffer.from(list.slice(cut)));
    parser.finish();
    expect(seen).toEqual(['a', 'b']);
  });

  it('accepts an empty list and the fields around items', () => {
    expect(parse('{"kind":"EventList","metadata":{},"items":[]}')).toEqual({ ids: [] });
    expect(parse(' {"items":[' + JSON.stringify(event('x')) + '],"kind":"EventList"}\n')).toEqual({ ids: ['x'] });
  });

  it('refuses a torn body, saying it ends inside the document', () => {
    const list = JSON.stringify({ kind: 'EventList', items: [event('a'), event('b')] });
    for (const cut of [list.length - 1, list.length - 2, list.indexOf('"b"') + 2, 5]) {
      const result = parse(list.slice(0, cut));
      expect(result.error).toMatch(/^the body ends inside the JSON document \(torn\)/);
    }
  });

  it('refuses malformed JSON, naming the position', () => {
    const list = JSON.stringify({ kind: 'EventList', items: [event('a'), event('b')] });
    const broken = list.replace('"verb":"get"', '"verb":get');
    expect(parse(broken).error).toMatch(/^malformed JSON: Unexpected "g" at .*absolute position "\d+"/);
    expect(parse(list + 'x').error).toMatch(/^malformed JSON/);
    expect(parse('not json').error).toMatch(/^malformed JSON/);
  });

  it('refuses what is JSON but not an EventList, naming what was wrong', () => {
    expect(parse('').error).toBe('expected an audit.k8s.io/v1 EventList, found an empty body');
    expect(parse('[{"items":[]}]').error).toBe('expected an audit.k8s.io/v1 EventList, found no JSON object');
    expect(parse('"items"').error).toBe('expected an audit.k8s.io/v1 EventList, found no JSON object');
    expect(parse('{"kind":"EventList"}').error).toBe('expected an audit.k8s.io/v1 EventList, found no items array');
    expect(parse('{"kind":"EventList","metadata":{"items":[]}}').error).toBe(
      'expected an audit.k8s.io/v1 EventList, found no items array',
    );
    expect(parse('{"items":null}').error).toBe('items is not an array');
    expect(parse('{"items":"x"}').error).toBe('items is not an array');
    expect(parse('{"items":{"a":{"auditID":"a"}}}').error).toBe('items is not an array');
    expect(parse(`{"items":[${JSON.stringify(event('a'))},42]}`).error).toBe('items[1] is not an audit event object');
    expect(parse('{"items":[null]}').error).toBe('items[0] is not an audit event object');
    expect(parse(`{"items":[${JSON.stringify(event('a'))}],"items":[]}`).error).toBe('items appears more than once');
  });

  it('passes on what the event consumer throws as it is, not as a bad body', () => {
    const parser = new EventListParser(() => {
      throw new Error('disk on fire');
    });
    expect(() => parser.write(Buffer.from(`{"items":[${JSON.stringify(event('a'))}]}`))).toThrow('disk on fire');
  });
});
