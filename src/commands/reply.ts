// A command's answer, independent of the platform that shows it. Renderers in src/chat turn it into plain
// text, a Discord embed or a Telegram HTML message.

export type ReplyLevel = 'info' | 'calm' | 'elevated' | 'warning' | 'critical' | 'error';

export interface ReplyField {
  name: string;
  value: string;
  /** Discord may show inline fields side by side; other renderers ignore it. */
  inline?: boolean;
}

export interface ReplyLink {
  label: string;
  /** A command to run for more, e.g. `term funding-rate`. */
  command?: string;
  url?: string;
}

export interface ReplyImage {
  filename: string;
  png: Uint8Array;
  alt: string;
}

export interface Reply {
  title: string;
  /** Plain text; paragraphs separated by a blank line. Renderers escape it for their platform. */
  body: string;
  fields: readonly ReplyField[];
  links: readonly ReplyLink[];
  level: ReplyLevel;
  image?: ReplyImage;
  /** Said where a platform's limit cuts the body: how to see the rest. */
  more?: string;
  /** The reply as data, for `--json` and for scripts: JSON-serialisable. */
  data: unknown;
  /** Set when the reply reports a user's mistake (unknown term, bad argument), not a result. */
  error?: { id: string };
}

export function reply(title: string, body: string, parts: Partial<Omit<Reply, 'title' | 'body'>> = {}): Reply {
  return { title, body, fields: [], links: [], level: 'info', data: null, ...parts };
}
