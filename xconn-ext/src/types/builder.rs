//! `Type::builder()...build()` for the `#[non_exhaustive]` types a service
//! receives, so that its tests can make them without a struct literal (which
//! `#[non_exhaustive]` forbids outside this crate) and keep compiling when a
//! field is added: an unset field keeps its default.
//!
//! One macro writes them all, so every builder has the same shape: a
//! `#[must_use]` wrapper around the value, one setter per field named after
//! it, and `build()`.

/// Writes `$target::builder()` and `$builder`, with one setter per field:
/// `opt` fields (`Option<T>`) take `impl Into<T>` and set `Some`; `val`
/// fields take `impl Into<T>`; `vec` fields (`Vec<T>`) take an iterator of
/// `T` and replace the list. `= { $start }` is the value a builder starts from
/// (`Default::default()` unless given).
macro_rules! builder {
    (
        $(#[$meta:meta])*
        $builder:ident => $target:ident $(= $start:block)? {
            $( $(#[$doc:meta])* $field:ident : $kind:ident $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[must_use = "a builder does nothing until `.build()`"]
        pub struct $builder {
            value: $target,
        }

        impl Default for $builder {
            fn default() -> Self {
                Self {
                    value: builder!(@start $target $($start)?),
                }
            }
        }

        impl $target {
            #[doc = concat!(
                "Start building a [`", stringify!($target), "`] (for tests and fakes): ",
                "every field not set keeps its default, so code that builds one keeps ",
                "compiling when a field is added."
            )]
            pub fn builder() -> $builder {
                $builder::default()
            }
        }

        impl $builder {
            $(
                $(#[$doc])*
                pub fn $field(mut self, value: builder!(@arg $kind $ty)) -> Self {
                    self.value.$field = builder!(@set $kind value);
                    self
                }
            )*

            #[doc = concat!("The [`", stringify!($target), "`].")]
            #[must_use]
            pub fn build(self) -> $target {
                self.value
            }
        }
    };
    (@start $target:ident) => { <$target>::default() };
    (@start $target:ident $start:block) => { $start };
    (@arg opt $ty:ty) => { impl Into<$ty> };
    (@arg val $ty:ty) => { impl Into<$ty> };
    (@arg vec $ty:ty) => { impl IntoIterator<Item = $ty> };
    (@set opt $value:ident) => { Some($value.into()) };
    (@set val $value:ident) => { $value.into() };
    (@set vec $value:ident) => { $value.into_iter().collect() };
}

pub(crate) use builder;
