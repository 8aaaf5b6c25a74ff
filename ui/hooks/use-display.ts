import { useContext } from 'react';
import { DisplayContext, type Display } from '../context/display.js';

export function useDisplay(): Display {
  return useContext(DisplayContext);
}
