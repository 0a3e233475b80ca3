import { describe, expect, it } from 'vitest';
import { keyAction } from './keyboard';

describe('keyboard', () => {
  it('maps the walkthrough keys, clicker keys included', () => {
    expect(keyAction({ key: 'ArrowRight', target: 'other' })).toBe('nextStep');
    expect(keyAction({ key: 'PageDown', target: 'other' })).toBe('nextStep');
    expect(keyAction({ key: 'PageUp', target: 'control' })).toBe('prevStep');
    expect(keyAction({ key: ' ', target: 'other' })).toBe('togglePlay');
    expect(keyAction({ key: ']', target: 'other' })).toBe('nextHop');
    expect(keyAction({ key: '[', target: 'control' })).toBe('prevHop');
  });

  it('leaves typing surfaces and focused controls alone', () => {
    expect(keyAction({ key: ']', target: 'text' })).toBeNull();
    expect(keyAction({ key: ' ', target: 'control' })).toBeNull();
    expect(keyAction({ key: 'ArrowLeft', target: 'control' })).toBeNull();
    expect(keyAction({ key: 'ArrowRight', ctrlKey: true, target: 'other' })).toBeNull();
  });

  it('uses Escape only to leave presenter mode', () => {
    expect(keyAction({ key: 'Escape', target: 'other', presenter: true })).toBe('exitPresenter');
    expect(keyAction({ key: 'Escape', target: 'other' })).toBeNull();
  });
});
