import path from 'node:path';

/** The module ID of a file: its path relative to the project root, with `/` separators on every OS. */
export function moduleId(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
