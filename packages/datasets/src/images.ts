/**
 * The image file extensions the project reads (lower case, with the dot): what sharp decodes in
 * Node. Folder listings keep files with these extensions and skip (and say so) the rest.
 */
export const IMAGE_EXTENSIONS = [
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.bmp',
  '.gif',
  '.avif',
];

/** Whether `file` (a path or a name) has one of `IMAGE_EXTENSIONS` (case-insensitive). */
export function isImageFile(file: string): boolean {
  const dot = file.lastIndexOf('.');
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  if (dot <= slash) return false;
  return IMAGE_EXTENSIONS.includes(file.slice(dot).toLowerCase());
}
