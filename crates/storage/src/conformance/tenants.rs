//! Tenants and the API tokens that act on them.

use crate::ConflictField;
use coditect_domain::{ApiToken, Role, Tenant};
use uuid::Uuid;

use super::fixtures::{actor, all_pages, assert_conflict, audited, new_tenant, tenant, unique};
use crate::{NewApiToken, Store};

fn new_token(tenant_id: Option<Uuid>, role: Role) -> NewApiToken {
    NewApiToken {
        tenant_id,
        name: unique("token"),
        role,
        secret_hash: unique("secret-hash"),
        created_by_user_id: None,
        made_by_user_id: None,
    }
}

/// `create_tenant` returns the tenant as stored, and `get_tenant` reads the same back.
pub async fn create_tenant_returns_the_stored_tenant(store: &dyn Store) {
    let slug = unique("acme");
    let t = store
        .create_tenant(new_tenant("Acme Corp", &slug), &actor())
        .await
        .expect("create tenant");
    assert_eq!(
        (t.name.as_str(), t.slug.as_str()),
        ("Acme Corp", slug.as_str())
    );
    assert_eq!(store.get_tenant(t.id).await.unwrap(), Some(t));
}

/// A taken slug is a `Conflict(ConflictField::Slug)`, and the refused tenant is not stored.
pub async fn create_tenant_refuses_a_taken_slug(store: &dyn Store) {
    let slug = unique("taken");
    store
        .create_tenant(new_tenant("First", &slug), &actor())
        .await
        .expect("first tenant");
    let again = store
        .create_tenant(new_tenant("Second", &slug), &actor())
        .await;
    assert_conflict(again, ConflictField::Slug);
    let all = all_pages(50, |t: &Tenant| t.id, |p| store.list_tenants(p)).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].name, "First");
}

/// `get_tenant` of an id nobody has is `None`.
pub async fn get_tenant_of_an_unknown_id_is_none(store: &dyn Store) {
    tenant(store).await;
    assert_eq!(store.get_tenant(Uuid::now_v7()).await.unwrap(), None);
}

/// `list_tenants` pages through every tenant once, oldest first, following `next_after`.
pub async fn list_tenants_pages_oldest_first(store: &dyn Store) {
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(tenant(store).await);
    }
    let listed = all_pages(2, |t: &Tenant| t.id, |p| store.list_tenants(p)).await;
    assert_eq!(listed, made);
    // A page that ends exactly at the last tenant says there is no next page.
    let all = store
        .list_tenants(coditect_domain::PageRequest {
            limit: 5,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!((all.items.len(), all.next_after), (5, None));
}

/// `create_token` stores a token by its secret hash; `find_token` finds it by that hash
/// and finds nothing for another.
pub async fn create_token_stores_it_by_its_secret_hash(store: &dyn Store) {
    let t = tenant(store).await;
    let user = store
        .create_first_user("maker@example.com", "Maker", "h")
        .await
        .unwrap()
        .id;
    let mut new = new_token(Some(t.id), Role::ReadOnly);
    new.created_by_user_id = Some(user);
    new.made_by_user_id = Some(user);
    let token = store.create_token(new.clone(), None).await.expect("create");
    assert_eq!(token.tenant_id, Some(t.id));
    assert_eq!(
        (token.name.as_str(), token.role),
        (new.name.as_str(), Role::ReadOnly)
    );
    assert_eq!(
        (token.revoked_at, token.created_by_user_id),
        (None, Some(user))
    );
    assert_eq!(token.made_by_user_id, Some(user));
    assert_eq!(
        store.find_token(&new.secret_hash).await.unwrap(),
        Some(token)
    );
    assert_eq!(store.find_token("no such hash").await.unwrap(), None);
    // A superadmin token has no tenant.
    let root = new_token(None, Role::Superadmin);
    let su = store.create_token(root.clone(), None).await.unwrap();
    assert_eq!(su.tenant_id, None);
    assert_eq!(store.find_token(&root.secret_hash).await.unwrap(), Some(su));
}

/// Two tokens with one secret hash would make `find_token` ambiguous: `Conflict(ConflictField::Token)`.
pub async fn create_token_refuses_a_taken_secret_hash(store: &dyn Store) {
    let t = tenant(store).await;
    let first = new_token(Some(t.id), Role::Admin);
    store.create_token(first.clone(), None).await.unwrap();
    let mut second = new_token(Some(t.id), Role::Admin);
    second.secret_hash = first.secret_hash;
    assert_conflict(store.create_token(second, None).await, ConflictField::Token);
}

/// `list_tokens` pages through one tenant's tokens, oldest first, revoked ones included,
/// and no other tenant's (nor superadmin) tokens.
pub async fn list_tokens_pages_a_tenants_tokens_revoked_included(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let mut made = Vec::new();
    for i in 0..5 {
        let tok = store
            .create_token(new_token(Some(t.id), Role::Admin), None)
            .await
            .unwrap();
        store
            .create_token(new_token(Some(other.id), Role::Admin), None)
            .await
            .unwrap();
        if i == 1 {
            store
                .create_token(new_token(None, Role::Superadmin), None)
                .await
                .unwrap();
        }
        made.push(tok);
    }
    made[2] = store
        .revoke_token(t.id, made[2].id, &actor())
        .await
        .unwrap()
        .expect("revoked");
    let listed = all_pages(2, |t: &ApiToken| t.id, |p| store.list_tokens(t.id, p)).await;
    assert_eq!(listed, made);
    let none = all_pages(
        2,
        |t: &ApiToken| t.id,
        |p| store.list_tokens(Uuid::now_v7(), p),
    )
    .await;
    assert!(none.is_empty());
}

/// `revoke_token` stamps `revoked_at` once: the token authenticates nothing afterwards, and
/// revoking it again returns it unchanged and audits nothing more.
pub async fn revoke_token_revokes_once(store: &dyn Store) {
    let t = tenant(store).await;
    let new = new_token(Some(t.id), Role::Admin);
    let token = store.create_token(new.clone(), None).await.unwrap();
    let revoked = store
        .revoke_token(t.id, token.id, &actor())
        .await
        .unwrap()
        .expect("the tenant's token");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        ApiToken {
            revoked_at: None,
            ..revoked.clone()
        },
        token
    );
    assert_eq!(store.find_token(&new.secret_hash).await.unwrap(), None);
    let again = store.revoke_token(t.id, token.id, &actor()).await.unwrap();
    assert_eq!(again, Some(revoked.clone()));
    assert_eq!(audited(store, t.id, "token.revoke").await, 1);
    let listed = store.list_tokens(t.id, Default::default()).await.unwrap();
    assert_eq!(listed.items, vec![revoked]);
}

/// `revoke_token` of a token that is not the tenant's is `None` and leaves it working.
pub async fn revoke_token_of_another_tenant_is_none(store: &dyn Store) {
    let (t, other) = (tenant(store).await, tenant(store).await);
    let new = new_token(Some(t.id), Role::Admin);
    let token = store.create_token(new.clone(), None).await.unwrap();
    assert_eq!(
        store
            .revoke_token(other.id, token.id, &actor())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .revoke_token(t.id, Uuid::now_v7(), &actor())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.find_token(&new.secret_hash).await.unwrap(),
        Some(token)
    );
    assert_eq!(audited(store, other.id, "token.revoke").await, 0);
}

/// `has_superadmin_token` is true while an unrevoked token of role superadmin is stored;
/// tokens of other roles do not count.
pub async fn has_superadmin_token_counts_unrevoked_superadmin_tokens(store: &dyn Store) {
    assert!(!store.has_superadmin_token().await.unwrap());
    let t = tenant(store).await;
    store
        .create_token(new_token(Some(t.id), Role::Admin), None)
        .await
        .unwrap();
    assert!(!store.has_superadmin_token().await.unwrap());
    // Only tenant tokens can be revoked, so the revocation is checked on one of those
    // carrying the superadmin role.
    let su = store
        .create_token(new_token(Some(t.id), Role::Superadmin), None)
        .await
        .unwrap();
    assert!(store.has_superadmin_token().await.unwrap());
    store.revoke_token(t.id, su.id, &actor()).await.unwrap();
    assert!(!store.has_superadmin_token().await.unwrap());
    store
        .create_token(new_token(None, Role::Superadmin), None)
        .await
        .unwrap();
    assert!(store.has_superadmin_token().await.unwrap());
}
