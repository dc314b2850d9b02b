//! rustls configurations: the server side for the TLS listener, the
//! client side for connections we open (RFC 3261 §26.2, RFC 5922).
//! The ring provider is named explicitly, so the process-wide default
//! provider (which another crate could set) does not matter.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::config::TlsListen;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(what: &str, path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} {}: {e}", path.display()),
    )
}

fn certs(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("certificates", path, e))?;
    if certs.is_empty() {
        return Err(invalid("certificates", path, "no certificate found"));
    }
    Ok(certs)
}

/// The server side, from the listener's PEM files.
pub(super) fn acceptor(listen: &TlsListen) -> io::Result<TlsAcceptor> {
    let chain = certs(&listen.cert)?;
    let key =
        PrivateKeyDer::from_pem_file(&listen.key).map_err(|e| invalid("key", &listen.key, e))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid("certificate and key", &listen.cert, e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The client side: the Mozilla roots, or only the CAs in `roots`.
pub(super) fn connector(roots: Option<&Path>) -> io::Result<TlsConnector> {
    let store = match roots {
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
        Some(path) => {
            let mut store = RootCertStore::empty();
            for cert in certs(path)? {
                store
                    .add(cert)
                    .map_err(|e| invalid("CA certificate", path, e))?;
            }
            store
        }
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}
