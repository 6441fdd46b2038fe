//! [`BillingStore`](crate::BillingStore), products: created, read, listed, patched, with
//! the slug and every price unique.

use coditect_domain::{NewProduct, PageRequest, ProductPatch};
use uuid::Uuid;

use super::fixtures::{all_pages, assert_conflict, unique};
use crate::{ConflictField, Store};

pub(crate) fn new_product(prices: &[&str]) -> NewProduct {
    NewProduct {
        slug: unique("p"),
        name: "Product".into(),
        seats_per_unit: 2,
        heartbeat_ttl_seconds: 120,
        entitlements: vec!["export".into()],
        trial_days: 14,
        trial_seats: 1,
        grace_days: 7,
        stripe_price_ids: prices.iter().map(|p| (*p).to_owned()).collect(),
        metered: false,
    }
}

/// A product reads back as stored, by id, slug and price, its prices in their given order.
pub async fn create_product_stores_it_with_its_prices_in_order(store: &dyn Store) {
    let (a, b) = (unique("price"), unique("price"));
    let p = store.create_product(new_product(&[&b, &a])).await.unwrap();
    assert_eq!(p.stripe_price_ids, vec![b.clone(), a.clone()]);
    assert_eq!(store.get_product(p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(
        store.product_by_slug(&p.slug).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(store.get_product(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        store.product_by_slug("no-such-product").await.unwrap(),
        None
    );
    let mut tx = store.billing_tx().await.unwrap();
    assert_eq!(
        tx.product_for_price(&a).await.unwrap().map(|x| x.id),
        Some(p.id)
    );
    assert_eq!(tx.product_for_price("price_nobody").await.unwrap(), None);
}

/// A taken slug and a price of another product are conflicts that leave nothing behind.
pub async fn product_slugs_and_prices_are_unique(store: &dyn Store) {
    let price = unique("price");
    let p = store.create_product(new_product(&[&price])).await.unwrap();
    let mut same_slug = new_product(&[]);
    same_slug.slug = p.slug.clone();
    assert_conflict(store.create_product(same_slug).await, ConflictField::Slug);
    assert_conflict(
        store.create_product(new_product(&[&price])).await,
        ConflictField::PriceId,
    );
    // The refused products left nothing: their slugs and prices are free.
    let other = store.create_product(new_product(&[])).await.unwrap();
    let steal = ProductPatch {
        stripe_price_ids: Some(vec![price.clone()]),
        ..ProductPatch::default()
    };
    assert_conflict(
        store.update_product(other.id, &steal).await,
        ConflictField::PriceId,
    );
    assert_eq!(store.get_product(other.id).await.unwrap(), Some(other));
    assert_eq!(store.get_product(p.id).await.unwrap(), Some(p));
}

/// A patch changes what it names; a price let go is free again; an unknown id is `None`.
pub async fn update_product_applies_a_patch_and_moves_prices(store: &dyn Store) {
    let (a, b) = (unique("price"), unique("price"));
    let p = store.create_product(new_product(&[&a])).await.unwrap();
    let patch = ProductPatch {
        name: Some("Renamed".into()),
        seats_per_unit: Some(5),
        stripe_price_ids: Some(vec![b.clone()]),
        metered: Some(true),
        ..ProductPatch::default()
    };
    let u = store.update_product(p.id, &patch).await.unwrap().unwrap();
    assert_eq!(
        (u.name.as_str(), u.seats_per_unit, u.metered),
        ("Renamed", 5, true)
    );
    assert_eq!(u.stripe_price_ids, vec![b.clone()]);
    assert!(u.updated_at >= p.updated_at);
    assert_eq!(store.get_product(p.id).await.unwrap(), Some(u));
    // The price let go is free for another product.
    store.create_product(new_product(&[&a])).await.unwrap();
    let none = store.update_product(Uuid::now_v7(), &patch).await.unwrap();
    assert_eq!(none, None);
}

/// Products page oldest first, each exactly once.
pub async fn list_products_pages_oldest_first(store: &dyn Store) {
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(store.create_product(new_product(&[])).await.unwrap().id);
    }
    let seen = all_pages(
        2,
        |p: &coditect_domain::Product| p.id,
        |page: PageRequest| async move { store.list_products(page).await },
    )
    .await;
    assert_eq!(seen.iter().map(|p| p.id).collect::<Vec<_>>(), made);
}
