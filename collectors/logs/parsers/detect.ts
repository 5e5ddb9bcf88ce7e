/** Formats of container log files. */
export type ContainerFormat = 'cri' | 'docker';

/** Tells the format of a container log file from its first line. */
export function detectContainerFormat(firstLine: string): ContainerFormat {
  return firstLine.startsWith('{') && firstLine.includes('"log"') ? 'docker' : 'cri';
}
