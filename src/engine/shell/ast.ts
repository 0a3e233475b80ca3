/** The syntax tree of the bash subset the shell understands. */

/** A piece of a word before expansion. `quoted` parts are not field-split. */
export type WordPart =
  | { readonly kind: 'lit'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'var'; readonly name: string; readonly quoted: boolean }
  | { readonly kind: 'cmdsub'; readonly source: string; readonly quoted: boolean };

export interface Word {
  readonly parts: readonly WordPart[];
}

export type RedirOp = '>' | '>>' | '<' | '<<' | '<<-' | '<<<' | '>&' | '<&' | '&>' | '&>>';

export interface Redirect {
  readonly fd: number;
  readonly op: RedirOp;
  /** The file name or fd word; for heredocs, unused. */
  readonly target?: Word;
  /** Heredoc body (already collected) and whether its delimiter was quoted (no expansion). */
  readonly heredoc?: { readonly body: string; readonly quoted: boolean };
}

export interface SimpleCommand {
  readonly kind: 'simple';
  readonly assigns: readonly { readonly name: string; readonly value: Word }[];
  readonly words: readonly Word[];
  readonly redirects: readonly Redirect[];
  /** The command's source text, for job listings and history. */
  readonly text: string;
}

export interface Pipeline {
  readonly commands: readonly SimpleCommand[];
  readonly negate: boolean;
  readonly text: string;
}

export interface AndOr {
  readonly first: Pipeline;
  readonly rest: readonly { readonly op: '&&' | '||'; readonly pipeline: Pipeline }[];
  /** Run in the background (`&`). */
  readonly background: boolean;
  readonly text: string;
}

export interface Script {
  readonly items: readonly AndOr[];
}
