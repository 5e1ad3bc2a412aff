// The two chart themes, matched to the chat backgrounds they are shown on: Discord's and Telegram's dark mode
// (a dark grey) and their light mode (white). Colours for the sides follow the bot's convention: longs red
// (liquidated on a drop), shorts green (liquidated on a rise).

export type ChartThemeName = 'dark' | 'light';

export const CHART_THEMES: readonly ChartThemeName[] = ['dark', 'light'];

export interface ChartTheme {
  name: ChartThemeName;
  background: string;
  /** Text of titles and tick labels. */
  text: string;
  /** Secondary text: subtitles, axis titles, "no data". */
  muted: string;
  grid: string;
  axis: string;
  price: string;
  openInterest: string;
  funding: string;
  long: string;
  short: string;
  /** The cascade's path arrows and the final-price line. */
  path: string;
  /** The initial shock's arrow. */
  shock: string;
}

const DARK: ChartTheme = {
  name: 'dark',
  background: '#313338',
  text: '#f2f3f5',
  muted: '#b5bac1',
  grid: '#44464d',
  axis: '#80848e',
  price: '#6ab0ff',
  openInterest: '#f0b232',
  funding: '#d59cff',
  long: '#ff5a5f',
  short: '#3fd47a',
  path: '#ffffff',
  shock: '#f0b232',
};

const LIGHT: ChartTheme = {
  name: 'light',
  background: '#ffffff',
  text: '#1e1f22',
  muted: '#4e5058',
  grid: '#e3e5e8',
  axis: '#8a8e96',
  price: '#1e66d0',
  openInterest: '#b86e00',
  funding: '#8e3fc2',
  long: '#d0302f',
  short: '#138a45',
  path: '#1e1f22',
  shock: '#b86e00',
};

export function chartTheme(name: ChartThemeName): ChartTheme {
  return name === 'light' ? LIGHT : DARK;
}
