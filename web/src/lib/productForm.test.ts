import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { Product } from '../api/types';
import { EMPTY_PRODUCT_FORM, formFromProduct, productBody, serverFieldErrors } from './productForm';
import { slugify } from './slug';

const original: Product = {
  id: 'p1', slug: 'cad-pro', name: 'CAD Pro', seats_per_unit: 1, heartbeat_ttl_seconds: 360, entitlements: ['export'],
  trial_days: 14, trial_seats: 1, grace_days: 7, stripe_price_ids: ['price_123'], metered: false,
  created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

describe('productBody for a new product', () => {
  it('sends every field, the defaults where the form was left alone', () => {
    const { body, errors } = productBody({ ...EMPTY_PRODUCT_FORM, slug: 'cad-pro', name: ' CAD Pro ' });
    expect(errors).toEqual({});
    expect(body).toEqual({
      slug: 'cad-pro', name: 'CAD Pro', seats_per_unit: 1, heartbeat_ttl_seconds: 360, entitlements: [], trial_days: 0,
      trial_seats: 1, grace_days: 7, stripe_price_ids: [], metered: false,
    });
  });

  it('splits price ids on commas and lines, dropping blanks and repeats', () => {
    const { body } = productBody({ ...EMPTY_PRODUCT_FORM, slug: 'x', name: 'X', stripe_price_ids: ' price_a,\nprice_b\n\nprice_a, ', entitlements: 'export,render' });
    expect(body.stripe_price_ids).toEqual(['price_a', 'price_b']);
    expect(body.entitlements).toEqual(['export', 'render']);
  });

  it('refuses a missing name, a bad slug, out-of-range numbers and a price id with spaces', () => {
    const { errors } = productBody({
      ...EMPTY_PRODUCT_FORM, slug: 'Cad Pro', name: '  ', seats_per_unit: '0', trial_days: '366', trial_seats: '1001',
      grace_days: '91', heartbeat_ttl_seconds: '2.5', stripe_price_ids: 'price_ok, price bad',
    });
    expect(Object.keys(errors).sort()).toEqual(['grace_days', 'heartbeat_ttl_seconds', 'name', 'seats_per_unit', 'slug', 'stripe_price_ids', 'trial_days', 'trial_seats']);
    expect(errors.trial_days).toBe('Trial days must be between 0 and 365.');
    expect(errors.heartbeat_ttl_seconds).toMatch(/whole number/);
    expect(errors.stripe_price_ids).toContain('"price bad"');
  });

  it('accepts the bounds of every range', () => {
    const lo = productBody({ ...EMPTY_PRODUCT_FORM, slug: 'a', name: 'A', seats_per_unit: '1', trial_days: '0', trial_seats: '1', grace_days: '0' });
    const hi = productBody({ ...EMPTY_PRODUCT_FORM, slug: 'a'.repeat(63), name: 'A', seats_per_unit: '100000', trial_days: '365', trial_seats: '1000', grace_days: '90' });
    expect(lo.errors).toEqual({});
    expect(hi.errors).toEqual({});
    expect(productBody({ ...EMPTY_PRODUCT_FORM, slug: 'a'.repeat(64), name: 'A' }).errors.slug).toBeDefined();
  });
});

describe('productBody for an edit (PATCH)', () => {
  it('sends nothing when nothing changed', () => {
    expect(productBody(formFromProduct(original), original)).toEqual({ body: {}, errors: {} });
  });

  it('sends only the changed fields', () => {
    const v = { ...formFromProduct(original), seats_per_unit: '2', stripe_price_ids: 'price_123\nprice_456', metered: true, name: 'CAD Pro 2' };
    expect(productBody(v, original).body).toEqual({ seats_per_unit: 2, stripe_price_ids: ['price_123', 'price_456'], metered: true, name: 'CAD Pro 2' });
    expect(productBody({ ...formFromProduct(original), entitlements: '' }, original).body).toEqual({ entitlements: [] });
    expect(productBody({ ...formFromProduct(original), trial_days: '0', slug: 'cad-pro-x' }, original).body).toEqual({ trial_days: 0, slug: 'cad-pro-x' });
  });
});

describe('serverFieldErrors', () => {
  it('puts a 409 conflict beside the field it names, and a 422 beside each listed field', () => {
    expect(serverFieldErrors(new ApiError(409, 'conflict', 'price_123 belongs to product cad-pro', { field: 'stripe_price_ids' })))
      .toEqual({ stripe_price_ids: 'price_123 belongs to product cad-pro' });
    expect(serverFieldErrors(new ApiError(422, 'validation_failed', 'bad', { fields: { trial_days: 'must be 0–365' } }))).toEqual({ trial_days: 'must be 0–365' });
    expect(serverFieldErrors(new ApiError(422, 'validation_error', 'bad', { fields: { slug: 'taken?' } }))).toEqual({ slug: 'taken?' });
  });

  it('gives none for other errors (the form shows them whole)', () => {
    expect(serverFieldErrors(new ApiError(409, 'conflict', 'slug taken'))).toEqual({});
    expect(serverFieldErrors(new ApiError(403, 'forbidden', 'no'))).toEqual({});
    expect(serverFieldErrors(new Error('boom'))).toEqual({});
  });
});

describe('slugify', () => {
  it('pre-fills a slug the server accepts', () => {
    expect(slugify('  CAD Pro — Édition 2026! ')).toBe('cad-pro-edition-2026');
    expect(slugify('x'.repeat(70))).toHaveLength(63);
  });
});

describe('the product slug', () => {
  it('is checked like the tenant slug, with the same message', async () => {
    const { SLUG_HINT } = await import('./slug');
    expect(productBody({ ...EMPTY_PRODUCT_FORM, slug: 'Not A Slug!', name: 'X' }).errors.slug).toBe(SLUG_HINT);
    expect(productBody({ ...EMPTY_PRODUCT_FORM, slug: 'cad-pro-2', name: 'X' }).errors.slug).toBeUndefined();
  });
});
