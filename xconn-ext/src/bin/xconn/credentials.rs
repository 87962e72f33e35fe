//! Where the token and the base URL come from: flags first; then a profile
//! named by `--profile`, the environment, and the `default` profile of
//! `config.toml` (see [`resolve`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use xconn_ext::{BASE_URL_ENV, EnvToken, TOKEN_ENV, TOKEN_FILE_ENV};

/// Another config file than the platform's default.
pub const CONFIG_ENV: &str = "XCONN_CONFIG";
/// The profile to use unless `--profile` says.
pub const PROFILE_ENV: &str = "XCONN_PROFILE";
/// The profile used when none is named, if the config file has it.
pub const DEFAULT_PROFILE: &str = "default";

/// What the command line said about credentials.
pub struct Flags<'a> {
    pub token: Option<&'a str>,
    pub token_file: Option<&'a Path>,
    pub base_url: Option<&'a str>,
    pub profile: Option<&'a str>,
}

/// Where the token came from, to say so when the API refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Flag,
    FlagFile(PathBuf),
    Env,
    EnvFile(PathBuf),
    Profile { name: String, file: PathBuf },
    Sandbox,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Flag => f.write_str("--token"),
            TokenSource::FlagFile(p) => write!(f, "--token-file {}", p.display()),
            TokenSource::Env => write!(f, "{TOKEN_ENV}"),
            TokenSource::EnvFile(p) => write!(f, "{TOKEN_FILE_ENV} ({})", p.display()),
            TokenSource::Profile { name, file } => {
                write!(f, "profile `{name}` (token_file {})", file.display())
            }
            TokenSource::Sandbox => f.write_str("the sandbox"),
        }
    }
}

/// The token and base URL to use. `Debug` is deliberately not derived.
pub struct Resolved {
    pub token: String,
    pub token_source: TokenSource,
    pub base_url: Option<(String, BaseUrlSource)>,
    /// The profile in use, if any (named, or `default` found in the file).
    pub profile: Option<String>,
    /// Said on stderr before anything is sent (a token file others can read).
    pub warnings: Vec<String>,
}

impl Resolved {
    /// Where these credentials came from, for a prompt before a DELETE:
    /// the profile (when one is used) and the token's source, never the token.
    pub fn origin(&self) -> String {
        match &self.profile {
            Some(name) => format!("profile `{name}`, token from {}", self.token_source),
            None => format!("token from {}", self.token_source),
        }
    }
}

/// Where the base URL came from, to name it when it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseUrlSource {
    Flag,
    Env,
    Profile { name: String, file: PathBuf },
}

impl fmt::Display for BaseUrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaseUrlSource::Flag => f.write_str("--base-url"),
            BaseUrlSource::Env => write!(f, "{BASE_URL_ENV}"),
            BaseUrlSource::Profile { name, file } => {
                write!(f, "profile `{name}` base_url ({})", file.display())
            }
        }
    }
}

/// A usage error (exit 2): what is wrong, in the user's terms.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Resolve the token and base URL. Flags come first. A profile named by
/// `--profile` comes next for every setting it holds (the operator named
/// it on this command line; an exported production token must not win
/// over it), then the environment. Without `--profile`, the environment
/// beats the `default` profile, and `XCONN_PROFILE` with a token variable
/// is refused: which one was meant cannot be told.
pub fn resolve(flags: &Flags<'_>) -> Result<Resolved, UsageError> {
    let env = |name: &str| std::env::var_os(name);
    let env_profile = env(PROFILE_ENV).filter(|v| !v.is_empty());
    if flags.profile.is_none() && env_profile.is_some() {
        for var in [TOKEN_ENV, TOKEN_FILE_ENV] {
            if env(var).is_some() {
                return Err(usage(format!(
                    "both {PROFILE_ENV} and {var} are set: the token would come from {var}, \
                     not from the profile; unset one of them (or pass --profile)"
                )));
            }
        }
    }
    let profile = load_profile(flags.profile)?;
    let profile_first = flags.profile.is_some();
    let config = config_path().unwrap_or_default();
    let mut warnings = Vec::new();

    // The library's reading of the environment, so that a service's
    // `Client::from_env` and this tool agree on precedence, trimming and
    // errors.
    let from_env =
        |warnings: &mut Vec<String>| -> Result<Option<(String, TokenSource)>, UsageError> {
            let Some(env_token) = EnvToken::from_env().map_err(|e| usage(e.message()))? else {
                return Ok(None);
            };
            let source = match env_token.file() {
                Some(path) => {
                    warn_if_readable_by_others(path, TOKEN_FILE_ENV, warnings);
                    TokenSource::EnvFile(path.to_owned())
                }
                None => TokenSource::Env,
            };
            Ok(Some((env_token.into_token(), source)))
        };
    let from_profile =
        |warnings: &mut Vec<String>| -> Result<Option<(String, TokenSource)>, UsageError> {
            let Some((
                name,
                Profile {
                    token_file: Some(file),
                    ..
                },
            )) = &profile
            else {
                return Ok(None);
            };
            let token = read_token_file(file, &format!("profile `{name}` token_file"), warnings)?;
            Ok(Some((
                token,
                TokenSource::Profile {
                    name: name.clone(),
                    file: file.clone(),
                },
            )))
        };

    let found = if let Some(token) = flags.token {
        Some((token.to_owned(), TokenSource::Flag))
    } else if let Some(path) = flags.token_file {
        let token = read_token_file(path, "--token-file", &mut warnings)?;
        Some((token, TokenSource::FlagFile(path.to_owned())))
    } else if profile_first {
        match from_profile(&mut warnings)? {
            Some(found) => Some(found),
            None => from_env(&mut warnings)?,
        }
    } else {
        match from_env(&mut warnings)? {
            Some(found) => Some(found),
            None => from_profile(&mut warnings)?,
        }
    };
    let Some((token, token_source)) = found else {
        return Err(usage(format!(
            "no bearer token: pass --token-file PATH (or --token), export {TOKEN_FILE_ENV} or \
             {TOKEN_ENV}, or choose a profile with --profile"
        )));
    };

    // Whitespace alone is no token: say where it came from, not which flag.
    if token.trim().is_empty() {
        return Err(usage(format!(
            "the bearer token from {token_source} is empty"
        )));
    }
    // xconn sends `Bearer <token>`; a pasted header would go out doubled.
    if token
        .get(..7)
        .is_some_and(|head| head.eq_ignore_ascii_case("bearer "))
    {
        return Err(usage(format!(
            "the bearer token from {token_source} starts with `Bearer `: remove the prefix \
             (xconn adds it)"
        )));
    }

    let flag_url = flags.base_url.map(|u| (u.to_owned(), BaseUrlSource::Flag));
    let env_url = std::env::var(BASE_URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .map(|u| (u, BaseUrlSource::Env));
    let profile_url = profile.as_ref().and_then(|(name, p)| {
        p.base_url.clone().map(|u| {
            (
                u,
                BaseUrlSource::Profile {
                    name: name.clone(),
                    file: config.clone(),
                },
            )
        })
    });
    let base_url = if profile_first {
        flag_url.or(profile_url).or(env_url)
    } else {
        flag_url.or(env_url).or(profile_url)
    };
    Ok(Resolved {
        token,
        token_source,
        base_url,
        profile: profile.map(|(name, _)| name),
        warnings,
    })
}

/// The token in a file (`-`: stdin), read as the library reads
/// `X_BEARER_TOKEN_FILE` (trailing whitespace trimmed; the content is never
/// echoed, even in an error). A file that group or others can read gets a
/// warning, as ssh gives for a key.
fn read_token_file(
    path: &Path,
    what: &str,
    warnings: &mut Vec<String>,
) -> Result<String, UsageError> {
    let token = xconn_ext::read_token_file(path, what).map_err(|e| usage(e.message()))?;
    warn_if_readable_by_others(path, what, warnings);
    Ok(token)
}

fn warn_if_readable_by_others(path: &Path, what: &str, warnings: &mut Vec<String>) {
    if path != Path::new("-")
        && let Some(mode) = readable_by_others(path)
    {
        warnings.push(format!(
            "{what} {} is readable by group or others (mode {mode:03o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
}

/// The permission bits of `path` when group or others may read it.
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> Option<u32> {
    None
}

/// `config.toml`: `[profiles.NAME]` tables and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    // A file without profiles is a valid, empty configuration.
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One app's settings. Never the token itself: a file to read it from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    base_url: Option<String>,
    token_file: Option<PathBuf>,
}

/// Where the config file is: `XCONN_CONFIG`, else `<config dir>/xconn/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    match std::env::var_os(CONFIG_ENV) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => dirs::config_dir().map(|dir| dir.join("xconn").join("config.toml")),
    }
}

/// The chosen profile, with its name; `token_file` resolved against the
/// config file's directory.
fn load_profile(flag: Option<&str>) -> Result<Option<(String, Profile)>, UsageError> {
    let named = flag
        .map(str::to_owned)
        .or_else(|| std::env::var(PROFILE_ENV).ok().filter(|p| !p.is_empty()));
    let Some(path) = config_path() else {
        return match named {
            Some(name) => Err(usage(format!(
                "unknown profile `{name}`: no config directory on this platform; set {CONFIG_ENV}"
            ))),
            None => Ok(None),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match named {
                Some(name) => Err(usage(format!(
                    "unknown profile `{name}`: no config file at {}",
                    path.display()
                ))),
                None => Ok(None),
            };
        }
        Err(e) => return Err(usage(format!("cannot read {}: {e}", path.display()))),
    };
    let config = parse_config(&text).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let name = named.clone().unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
    let Some(mut profile) = config.profiles.get(&name).cloned() else {
        return match named {
            Some(name) => {
                let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
                Err(usage(format!(
                    "unknown profile `{name}` in {}; known: {}",
                    path.display(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )))
            }
            None => Ok(None),
        };
    };
    if let Some(file) = &profile.token_file
        && file.is_relative()
        && let Some(dir) = path.parent()
    {
        profile.token_file = Some(dir.join(file));
    }
    Ok(Some((name, profile)))
}

/// Parse `config.toml`, refusing a token in clear before anything else.
fn parse_config(text: &str) -> Result<ConfigFile, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    if let Some(toml::Value::Table(profiles)) = table.get("profiles") {
        for (name, profile) in profiles {
            if let toml::Value::Table(keys) = profile
                && keys.contains_key("token")
            {
                return Err(format!(
                    "profile `{name}` has a `token` key; a token is never stored in clear \
                     here: put it in a file readable only by you and set `token_file`"
                ));
            }
        }
    }
    toml::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_a_token_key_is_refused() {
        let config = parse_config(
            "[profiles.prod]\nbase_url = \"https://api.x.com\"\ntoken_file = \"prod.token\"\n",
        )
        .unwrap();
        assert_eq!(
            config.profiles["prod"].token_file.as_deref(),
            Some(Path::new("prod.token"))
        );
        let err = parse_config("[profiles.prod]\ntoken = \"abc\"\n").unwrap_err();
        assert!(err.contains("never stored in clear"), "{err}");
        assert!(!err.contains("abc"));
        let err = parse_config("[profiles.prod]\ntoken_fiel = \"x\"\n").unwrap_err();
        assert!(err.contains("token_fiel"), "{err}");
    }
}
