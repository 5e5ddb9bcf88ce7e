/** Colours and sizes of the PNG renderer: Grafana's dark theme and its classic series palette. */

/** Background of the whole image. */
export const background = '#111217';
/** Background and border of a panel. */
export const panelBackground = '#181b1f';
export const panelBorder = '#2c3235';
/** Text: titles, axis labels, muted text ("No data"). */
export const text = '#ccccdc';
export const mutedText = '#8e8e8e';
export const gridLine = '#2c3235';
/** Font family: DejaVu ships with Debian and every Node base image that has fontconfig. */
export const font = 'DejaVu Sans, sans-serif';

/** Grafana's classic palette, the order in which series get their colours. */
export const palette = [
  '#7EB26D',
  '#EAB839',
  '#6ED0E0',
  '#EF843C',
  '#E24D42',
  '#1F78C1',
  '#BA43A9',
  '#705DA0',
  '#508642',
  '#CCA300',
  '#447EBC',
  '#C15C17',
];

const named: Record<string, string> = {
  green: '#73BF69',
  red: '#F2495C',
  orange: '#FF9830',
  yellow: '#FADE2A',
  blue: '#5794F2',
  purple: '#B877D9',
  transparent: 'rgba(0,0,0,0)',
};

/** The CSS colour of a Grafana colour name (green, red...) or of a colour given as #rrggbb or rgb(). */
export function colour(name: string): string {
  return named[name] ?? name;
}

/** A threshold step of a panel: from `value` (null for the base colour) on, the colour is `color`. */
export interface ThresholdStep {
  value: number | null;
  color: string;
}

/** The colour a value takes by a panel's thresholds: the last step whose value is at most it. */
export function thresholdColour(value: number, steps: ThresholdStep[]): string {
  let chosen = steps[0]?.color ?? 'green';
  for (const step of steps) if (step.value === null || value >= step.value) chosen = step.color;
  return colour(chosen);
}
