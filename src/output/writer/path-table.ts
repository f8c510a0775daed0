import { ConfigTreeError } from './tree-path.js';

/**
 * The paths of a large tree, held compactly: each path is its folder and its name, each folder its parent and its
 * last segment, and each segment or name is kept once however many folders it appears in. A fleet's 400,000 paths
 * (`clusters/<cluster>/components/<component>/<component>.yaml`...) then take a few bytes each, the cluster names
 * being the only strings not shared.
 * @internal
 */
export class PathTable {
  private readonly words: string[] = [];
  private readonly wordIds = new Map<string, number>();
  /** Folder n: its parent (-1 for the root) and its last segment. */
  private folderParent = new Int32Array(256);
  private folderWord = new Int32Array(256);
  private folderCount = 0;
  /** A folder by its parent and last segment. */
  private readonly folderIds = new Map<number, number>();
  /** Path n: its folder (-1 for the root) and its name. */
  private pathFolder = new Int32Array(1024);
  private pathWord = new Int32Array(1024);
  private pathCount = 0;

  /** How many paths were added. */
  public get size(): number {
    return this.pathCount;
  }

  /**
   * Adds a path (`/`-separated, normalized); returns its number, and the folders of it not seen before, parents first.
   */
  public add(path: string): { id: number; newFolders: string[] } {
    const segments = path.split('/');
    const newFolders: string[] = [];
    let folder = -1;
    for (let i = 0; i < segments.length - 1; i++) {
      const word = this.word(segments[i]);
      const key = (folder + 1) * 0x100000 + word;
      let id = this.folderIds.get(key);
      if (id === undefined) {
        id = this.folderCount++;
        if (id === this.folderParent.length) {
          this.folderParent = grow(this.folderParent);
          this.folderWord = grow(this.folderWord);
        }
        this.folderParent[id] = folder;
        this.folderWord[id] = word;
        this.folderIds.set(key, id);
        newFolders.push(segments.slice(0, i + 1).join('/'));
      }
      folder = id;
    }
    const id = this.pathCount++;
    if (id === this.pathFolder.length) {
      this.pathFolder = grow(this.pathFolder);
      this.pathWord = grow(this.pathWord);
    }
    this.pathFolder[id] = folder;
    this.pathWord[id] = this.word(segments[segments.length - 1]);
    return { id, newFolders };
  }

  /** The path numbered `id`. */
  public path(id: number): string {
    const folder = this.pathFolder[id];
    const name = this.words[this.pathWord[id]];
    return folder < 0 ? name : `${this.folder(folder)}/${name}`;
  }

  /** Every folder of the paths added. */
  public folders(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.folderCount; i++) out.push(this.folder(i));
    return out;
  }

  private folder(id: number): string {
    const parent = this.folderParent[id];
    const word = this.words[this.folderWord[id]];
    return parent < 0 ? word : `${this.folder(parent)}/${word}`;
  }

  private word(w: string): number {
    let id = this.wordIds.get(w);
    if (id === undefined) {
      id = this.words.push(w) - 1;
      if (id >= 0x100000) throw new ConfigTreeError('Cannot write a tree with more than a million distinct file and folder names; split it into several output folders');
      this.wordIds.set(w, id);
    }
    return id;
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
