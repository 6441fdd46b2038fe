//! Query arguments as one value, for both backends (both speak sqlx). A statement's
//! arguments are a tuple bound in order, so a backend's query helpers take
//! `(sql, (a, b, c))` instead of a chain of `.bind` calls, one line per argument.

use sqlx::query::{Query, QueryScalar};
use sqlx::{Database, Encode, Type};

/// The arguments of one statement: a tuple of up to 14 values (or `()`), bound in order
/// to `$1`, `$2`, ... (PostgreSQL) or `?` / `?N` (SQLite).
pub trait Args<'q, DB: Database> {
    /// Binds every argument to a row query.
    fn bind(self, q: Query<'q, DB, DB::Arguments<'q>>) -> Query<'q, DB, DB::Arguments<'q>>;
    /// Binds every argument to a scalar query.
    fn bind_scalar<O>(
        self,
        q: QueryScalar<'q, DB, O, DB::Arguments<'q>>,
    ) -> QueryScalar<'q, DB, O, DB::Arguments<'q>>;
}

macro_rules! tuple_args {
    ($($t:ident),*) => {
        impl<'q, DB: Database, $($t: 'q + Encode<'q, DB> + Type<DB>),*> Args<'q, DB> for ($($t,)*) {
            #[allow(non_snake_case)]
            fn bind(self, q: Query<'q, DB, DB::Arguments<'q>>) -> Query<'q, DB, DB::Arguments<'q>> {
                let ($($t,)*) = self;
                q$(.bind($t))*
            }
            #[allow(non_snake_case)]
            fn bind_scalar<O>(
                self,
                q: QueryScalar<'q, DB, O, DB::Arguments<'q>>,
            ) -> QueryScalar<'q, DB, O, DB::Arguments<'q>> {
                let ($($t,)*) = self;
                q$(.bind($t))*
            }
        }
    };
}

tuple_args!();
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);
tuple_args!(A, B, C, D, E, F, G);
tuple_args!(A, B, C, D, E, F, G, H);
tuple_args!(A, B, C, D, E, F, G, H, I);
tuple_args!(A, B, C, D, E, F, G, H, I, J);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L, M);
tuple_args!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
