import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Reads one framed message: a root element whose children hold text, which is all the Payment
 * Interface app ever sends or expects. Hardened as the advisories for fast-xml-parser advise:
 * no DOCTYPE or entity declarations, no entity processing by the parser, validation first.
 */

export interface FlatDocument {
  readonly root: string;
  /** Text of each child element, by tag name. Only own properties: safe for any tag name. */
  readonly fields: ReadonlyMap<string, string>;
}

export class XmlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlFormatError';
  }
}

const CDATA = '#cdata';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  // Deprecated in fast-xml-parser 5.12 for `entityDecoder`; entities stay off either way.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  cdataPropName: CDATA,
  maxNestedTags: 16,
});

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new XmlFormatError('the message is not valid UTF-8');
  }
}

export function parseFlatXml(frame: Uint8Array | string): FlatDocument {
  const text = typeof frame === 'string' ? frame : decodeUtf8(frame);
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new XmlFormatError('DOCTYPE and entity declarations are not accepted');
  // The app's completion error reply is written `< preautcompletionhresp >`: mend the space
  // after `<`, leaving CDATA sections as they are.
  const xml = text.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)[ \t\r\n]+/g, (match: string, slash: string | undefined) => (match.startsWith('<![CDATA[') ? match : `<${slash ?? ''}`));
  // Deprecated in fast-xml-parser 5.12 for the fast-xml-validator package: moving is a change of
  // its own, to be proven against the hostile-reply tests first.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlFormatError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);

  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (error) {
    // The parser refuses names such as __proto__ by throwing.
    throw new XmlFormatError(`unreadable XML: ${(error as Error).message}`);
  }
  const elements = nodes.filter((node) => elementName(node) !== undefined);
  if (elements.length !== 1) throw new XmlFormatError(`expected one root element, found ${elements.length}`);
  const rootNode = elements[0];
  const root = elementName(rootNode);
  if (root === undefined) throw new XmlFormatError('expected one root element, found none'); // filtered above: for the compiler
  const fields = new Map<string, string>();
  for (const child of childrenOf(rootNode, root)) {
    const name = elementName(child);
    if (name === undefined) {
      if (Object.hasOwn(child, '#text') && String(child['#text']).trim() !== '') {
        throw new XmlFormatError(`<${root}> holds loose text`);
      }
      continue;
    }
    if (fields.has(name)) throw new XmlFormatError(`<${name}> appears more than once`);
    fields.set(name, textOf(child, name));
  }
  return { root, fields };
}

type OrderedNode = Record<string, unknown>;

function elementName(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== '#text' && key !== ':@' && key !== CDATA);
}

function childrenOf(node: OrderedNode, name: string): OrderedNode[] {
  const children = node[name];
  return Array.isArray(children) ? (children as OrderedNode[]) : [];
}

/** Text of a leaf element: entities decoded in plain text, CDATA taken literally. */
function textOf(node: OrderedNode, name: string): string {
  const parts: string[] = [];
  for (const child of childrenOf(node, name)) {
    if (elementName(child) !== undefined) throw new XmlFormatError(`<${name}> must hold text only`);
    if (Object.hasOwn(child, '#text')) parts.push(decodeEntities(String(child['#text']), name));
    if (Object.hasOwn(child, CDATA)) {
      for (const section of childrenOf(child, CDATA)) {
        if (Object.hasOwn(section, '#text')) parts.push(String(section['#text']));
      }
    }
  }
  return parts.join('').trim();
}

function decodeEntities(text: string, name: string): string {
  return text.replace(/&([^;&\s]*);/g, (whole, entity: string) => {
    if (Object.hasOwn(PREDEFINED_ENTITIES, entity)) return PREDEFINED_ENTITIES[entity];
    const code = /^#x([0-9a-f]{1,6})$/i.exec(entity) ?? /^#([0-9]{1,7})$/.exec(entity);
    if (code) {
      const point = Number.parseInt(code[1], entity[1] === 'x' || entity[1] === 'X' ? 16 : 10);
      if (isXmlChar(point)) return String.fromCodePoint(point);
    }
    throw new XmlFormatError(`<${name}> holds an unknown entity ${whole}`);
  });
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** The characters XML 1.0 allows in a document; control characters other than tab and line ends are not. */
function isXmlChar(point: number): boolean {
  return point === 0x9 || point === 0xa || point === 0xd || (point >= 0x20 && point <= 0xd7ff) || (point >= 0xe000 && point <= 0xfffd) || (point >= 0x10000 && point <= 0x10ffff);
}

export function escapeXmlText(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}
