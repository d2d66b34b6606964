// SPDX-License-Identifier: Apache-2.0
/*
 * The one line the HTTP layer (oci/registry_http.c, over the real
 * libcurl) gives when a TLS server refuses the transfer, against a TLS
 * server of the test's own on 127.0.0.1.  getpeername() is replaced (the
 * test exports its own, which libcurl's calls reach) by one that fails as
 * it does on a connection the server has closed already: libcurl 7.88
 * then keeps its non-fatal "getpeername() failed" text as the first in
 * the error buffer, the order a real registry gives only at times.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/cleanup.h"
#include "oci/registry.h"
#include "oci/registry_internal.h"

int getpeername(int fd, __SOCKADDR_ARG sa, socklen_t *__restrict len)
{
	(void)fd;
	(void)sa;
	(void)len;
	errno = ENOTCONN;
	return -1;
}

/* The server: one connection, TLS, then as the test wants. */
static struct {
	char tmp[64]; /* its folder: key.pem, and certs/HOST/ca.crt */
	char host[32]; /* 127.0.0.1:PORT */
	int lfd;
	SSL_CTX *ctx;
	bool ask_cert; /* require a client certificate */
	const char *may_cert; /* ask for one, answer this without (nginx) */
} srv;

/* A self-signed certificate for IP 127.0.0.1, key and all. */
static void make_cert(X509 **cert, EVP_PKEY **key)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	X509_NAME *name;
	X509 *x = X509_new();
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(x);
	assert_non_null(k);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "IP:127.0.0.1");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	*cert = x;
	*key = k;
}

static int setup(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char path[256];
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	FILE *f;

	(void)state;
	snprintf(srv.tmp, sizeof(srv.tmp), "/tmp/test_registry_tls.XXXXXX");
	assert_non_null(mkdtemp(srv.tmp));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(srv.lfd >= 0);
	assert_int_equal(bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(srv.lfd, 4), 0);
	assert_int_equal(getsockname(srv.lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(srv.host, sizeof(srv.host), "127.0.0.1:%u",
		 ntohs(sa.sin_port));
	make_cert(&cert, &key);
	srv.ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(srv.ctx);
	assert_int_equal(SSL_CTX_use_certificate(srv.ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(srv.ctx, key), 1);
	/* the client trusts it through a certs.d folder */
	snprintf(path, sizeof(path), "%s/certs", srv.tmp);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/certs/%s", srv.tmp, srv.host);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/certs/%s/ca.crt", srv.tmp, srv.host);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, cert), 1);
	assert_int_equal(fclose(f), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

static int teardown(void **state)
{
	char path[256];

	(void)state;
	SSL_CTX_free(srv.ctx);
	close(srv.lfd);
	snprintf(path, sizeof(path), "%s/certs/%s/ca.crt", srv.tmp, srv.host);
	unlink(path);
	snprintf(path, sizeof(path), "%s/certs/%s", srv.tmp, srv.host);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/certs", srv.tmp);
	rmdir(path);
	rmdir(srv.tmp);
	return 0;
}

static const char bad_request[] = "HTTP/1.1 400 Bad Request\r\n"
				  "Content-Length: 0\r\n"
				  "Connection: close\r\n\r\n";
static const char forbidden[] = "HTTP/1.1 403 Forbidden\r\n"
				"Content-Length: 0\r\n"
				"Connection: close\r\n\r\n";

/* A client certificate, if one came, is not the point here. */
static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/*
 * One connection: the handshake (which fails when it asks for a client
 * certificate and gets none), then the request read and the connection
 * closed with no answer.
 */
static void *serve(void *arg)
{
	char buf[4096];
	SSL *ssl;
	int fd;

	(void)arg;
	/* a client that never comes fails the test, not hangs it */
	if (poll(&(struct pollfd){ .fd = srv.lfd, .events = POLLIN }, 1,
		 60000) != 1)
		return NULL;
	fd = accept(srv.lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	ssl = SSL_new(srv.ctx);
	if (ssl) {
		SSL_set_verify(ssl,
			       srv.ask_cert ?
				       SSL_VERIFY_PEER |
					       SSL_VERIFY_FAIL_IF_NO_PEER_CERT :
			       srv.may_cert ? SSL_VERIFY_PEER :
					      SSL_VERIFY_NONE,
			       accept_any);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1) {
			size_t got = 0;
			int n;

			while (got < sizeof(buf) - 1 &&
			       (n = SSL_read(ssl, buf + got,
					     sizeof(buf) - 1 - got)) > 0) {
				got += n;
				buf[got] = '\0';
				if (strstr(buf, "\r\n\r\n"))
					break;
			}
			if (srv.may_cert)
				SSL_write(ssl, srv.may_cert,
					  strlen(srv.may_cert));
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
	}
	close(fd);
	return NULL;
}

/* GET /v2/ of the test's server, with no retries; the error's message
 * (of its status, as the commands make it, when the request got one). */
static char *get_v2(void)
{
	struct oci_registry_opts o;
	struct oci_registry *reg = NULL;
	struct error *err = NULL;
	struct req q = { .method = "GET", .path = "/v2/", .fd = -1 };
	struct resp r = { 0 };
	char certs[128];
	char *msg;
	pthread_t t;
	int rc;

	oci_registry_opts_init(&o);
	o.retries = 0;
	snprintf(certs, sizeof(certs), "%s/certs", srv.tmp);
	o.certs_dir = certs;
	assert_int_equal(pthread_create(&t, NULL, serve, NULL), 0);
	assert_int_equal(oci_registry_new(srv.host, &o, &reg, &err), 0);
	rc = registry_http_do(reg, &q, &r, &err);
	/* as the commands tell it */
	if (!rc && (r.status == 401 || r.status == 403))
		rc = registry_auth_error(reg, &r, "get", "/v2/", &err);
	else if (!rc && r.status != 200)
		rc = registry_status_error(&err, &r, "get", "/v2/");
	registry_resp_clear(&r);
	oci_registry_free(reg);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	msg = strdup(err->msg);
	assert_non_null(msg);
	error_free(err);
	return msg;
}

/* A server that asks for a client certificate, where the certs.d folder
 * has none: the line says so, not the first text curl kept. */
static void client_cert_asked__none_in_certs_d__said(void **state)
{
	cleanup_free char *msg = NULL;
	char want[512];

	(void)state;
	srv.ask_cert = true;
	msg = get_v2();
	snprintf(want, sizeof(want),
		 "GET https://%s/v2/: the registry asked for a client "
		 "certificate and none is in %s/certs/%s (NAME.cert with "
		 "NAME.key)",
		 srv.host, srv.tmp, srv.host);
	assert_string_equal(msg, want);
}

/* A server that asks for a client certificate, takes the handshake
 * without one and answers ANSWER: the line gives the status and says
 * why. */
static void cert_asked_answered(const char *answer, const char *status)
{
	cleanup_free char *msg = NULL;
	char want[512];

	srv.ask_cert = false;
	srv.may_cert = answer;
	msg = get_v2();
	srv.may_cert = NULL;
	snprintf(want, sizeof(want),
		 "get /v2/: %s: the registry asked for a client certificate "
		 "and none is in %s/certs/%s (NAME.cert with NAME.key)",
		 status, srv.tmp, srv.host);
	assert_string_equal(msg, want);
}

/* nginx's "ssl_verify_client on" */
static void client_cert_asked__400_without__said(void **state)
{
	(void)state;
	cert_asked_answered(bad_request, "400 Bad Request");
}

/* nginx's "ssl_verify_client optional" and a 403 where
 * $ssl_client_verify is not SUCCESS */
static void client_cert_asked__403_without__said(void **state)
{
	(void)state;
	cert_asked_answered(forbidden, "403 Forbidden");
}

/* A server that closes the connection with no answer: the line gives
 * curl's reason for its result, not the getpeername() text it kept. */
static void closed_with_no_answer__reason_not_getpeername(void **state)
{
	cleanup_free char *msg = NULL;
	char want[512];

	(void)state;
	srv.ask_cert = false;
	msg = get_v2();
	snprintf(want, sizeof(want),
		 "GET https://%s/v2/: Server returned nothing (no headers, "
		 "no data)",
		 srv.host);
	assert_string_equal(msg, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_cert_asked__none_in_certs_d__said),
		cmocka_unit_test(client_cert_asked__400_without__said),
		cmocka_unit_test(client_cert_asked__403_without__said),
		cmocka_unit_test(closed_with_no_answer__reason_not_getpeername),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
