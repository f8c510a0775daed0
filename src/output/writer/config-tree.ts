import { ConfigTreeError, compareStrings, folderOf, normalizeTreePath } from './tree-path.js';

/** Options of {@link ConfigTree.addFile}. */
export interface AddFileOptions {
  /**
   * The file holds Kubernetes objects: list it in the `resources` of its folder's generated kustomization.yaml, as
   * files added with {@link ConfigTree.addObjects} are.
   * @default false - the file is written but kustomize does not read it (e.g. a README or a Helm values file)
   */
  readonly kustomizeResource?: boolean;
}

/** A file of YAML documents, one per object, rendered when the tree is rendered or written. */
export interface ConfigTreeObjectsFile {
  /** `objects`: YAML documents rendered from objects. */
  readonly type: 'objects';
  /** The path relative to the output folder, normalized (`clusters/prod-eu-1/apps.yaml`). */
  readonly path: string;
  /** The objects, one YAML document each, in the order added. */
  readonly objects: readonly object[];
}

/** A file whose text is written as given (with LF line endings and a final newline). */
export interface ConfigTreeTextFile {
  /** `text`: text written as given. */
  readonly type: 'text';
  /** The path relative to the output folder, normalized. */
  readonly path: string;
  /** The text, with LF line endings and a final newline (unless empty). */
  readonly text: string;
  /** Whether the folder's generated kustomization.yaml lists the file. */
  readonly kustomizeResource: boolean;
}

/** A file whose bytes are written exactly as given (e.g. a copy of a folder that synth packed as an artifact). */
export interface ConfigTreeBytesFile {
  /** `bytes`: bytes written as given. */
  readonly type: 'bytes';
  /** The path relative to the output folder, normalized. */
  readonly path: string;
  /** The exact bytes. */
  readonly content: Buffer;
}

/** A file of a {@link ConfigTree}. */
export type ConfigTreeFile = ConfigTreeObjectsFile | ConfigTreeTextFile | ConfigTreeBytesFile;

/**
 * The files of a config repo, held in memory until {@link renderTree} renders them or {@link writeTree} writes them.
 *
 * Paths are relative to the output folder, with `/` separators; a path leaving it (`..`, absolute) is refused when
 * added. Objects are rendered lazily, so changes made to them after they are added reach the output.
 */
export class ConfigTree {
  private readonly entries = new Map<string, { type: 'objects'; path: string; objects: object[] } | ConfigTreeTextFile | ConfigTreeBytesFile>();
  private readonly folders = new Set<string>();

  /**
   * Adds Kubernetes objects to a YAML file, one document each, in the order given. Adding to a file that already
   * holds objects appends to it. The folder's generated kustomization.yaml lists the file.
   * @param relativeFile the file, relative to the output folder, e.g. `clusters/prod-eu-1/podinfo.yaml`
   * @param objects plain JSON-like objects (e.g. from `ApiObject.toJson()`)
   */
  public addObjects(relativeFile: string, objects: readonly object[]): void {
    const path = normalizeTreePath(relativeFile, 'file');
    objects.forEach((o, i) => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) {
        throw new ConfigTreeError(`Cannot add object ${i + 1} to "${path}": a YAML document must be an object, got ${describe(o)}`);
      }
    });
    const existing = this.entries.get(path);
    if (existing?.type === 'objects') {
      existing.objects.push(...objects);
      return;
    }
    if (existing) throw duplicate(path, kindOf(existing));
    this.claim(path);
    this.entries.set(path, { type: 'objects', path, objects: [...objects] });
  }

  /**
   * Adds a file with the given text. Line endings become LF and a final newline is added, so output is the same on
   * every platform.
   * @param relativeFile the file, relative to the output folder, e.g. `clusters/prod-eu-1/README.md`
   */
  public addFile(relativeFile: string, text: string, options: AddFileOptions = {}): void {
    const path = normalizeTreePath(relativeFile, 'file');
    if (typeof text !== 'string') throw new ConfigTreeError(`Cannot add "${path}": its text must be a string, got ${describe(text)}`);
    const existing = this.entries.get(path);
    if (existing) throw duplicate(path, kindOf(existing));
    this.claim(path);
    let normalized = text.replace(/\r\n?/g, '\n');
    if (normalized !== '' && !normalized.endsWith('\n')) normalized += '\n';
    this.entries.set(path, { type: 'text', path, text: normalized, kustomizeResource: options.kustomizeResource ?? false });
  }

  /**
   * Adds a file whose bytes are written exactly as given: no line-ending normalization, no final newline added, and
   * no generated kustomization.yaml lists it. A kustomization.yaml added this way stands for its folder's own.
   * @param relativeFile the file, relative to the output folder, e.g. `artifacts/infra/controllers/kustomization.yaml`
   */
  public addBytes(relativeFile: string, content: Buffer): void {
    const path = normalizeTreePath(relativeFile, 'file');
    if (!Buffer.isBuffer(content)) throw new ConfigTreeError(`Cannot add "${path}": its content must be a Buffer, got ${describe(content)}`);
    const existing = this.entries.get(path);
    if (existing) throw duplicate(path, kindOf(existing));
    this.claim(path);
    this.entries.set(path, { type: 'bytes', path, content: Buffer.from(content) });
  }

  /** The file at a path, if the tree has it. */
  public file(relativeFile: string): ConfigTreeFile | undefined {
    return this.entries.get(normalizeTreePath(relativeFile, 'file'));
  }

  /** Every file of the tree, sorted by path. */
  public get files(): ConfigTreeFile[] {
    return [...this.entries.values()].sort((a, b) => compareStrings(a.path, b.path));
  }

  /** Records a new file path, refusing one that is also a folder of the tree, or lies below one of its files. */
  private claim(path: string): void {
    if (this.folders.has(path)) {
      throw new ConfigTreeError(`Cannot add file "${path}": the tree already has a folder of that name holding other files; rename one of them`);
    }
    const ancestors: string[] = [];
    for (let folder = folderOf(path); folder !== ''; folder = folderOf(folder)) {
      if (this.folders.has(folder)) break;
      if (this.entries.has(folder)) {
        throw new ConfigTreeError(`Cannot add file "${path}": "${folder}" is already a file of the tree, so it cannot be a folder; rename one of them`);
      }
      ancestors.push(folder);
    }
    for (const folder of ancestors) this.folders.add(folder);
  }
}

function duplicate(path: string, existing: string): ConfigTreeError {
  return new ConfigTreeError(`Cannot add "${path}": the tree already has it as ${existing}; add each file once, or add objects to it with addObjects()`);
}

function kindOf(file: ConfigTreeFile): string {
  return file.type === 'objects' ? 'a file of objects' : file.type === 'text' ? 'a text file' : 'a file of bytes';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
