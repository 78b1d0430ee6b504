/*
 * OpenSSL libssl in-process DTLS 1.2: a client and a server SSL over memory
 * BIOs in one thread, datagrams handed over directly (no sockets), as the
 * JavaScript rows of bench/compare.ts are driven. Prints one JSON object.
 *
 *   inproc <cert.pem> <key.pem> <handshake|bulk> <x25519|P-256> <seconds> [record-bytes]
 */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "%s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

/* Moves everything one side wrote into the other side's read BIO. */
static int pump(SSL *from, SSL *to) {
  static unsigned char buf[65536];
  BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
  int moved = 0, n;
  while ((n = BIO_read(w, buf, sizeof buf)) > 0) {
    BIO_write(r, buf, n);
    moved += n;
  }
  return moved;
}

static SSL *make(SSL_CTX *ctx, int server) {
  SSL *s = SSL_new(ctx);
  BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rb, -1);
  BIO_set_mem_eof_return(wb, -1);
  SSL_set_bio(s, rb, wb);
  SSL_set_options(s, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(s, 1400);
  if (server) SSL_set_accept_state(s); else SSL_set_connect_state(s);
  return s;
}

static void handshake(SSL *c, SSL *s) {
  for (int i = 0; i < 100; i++) {
    SSL_do_handshake(c);
    pump(c, s);
    SSL_do_handshake(s);
    pump(s, c);
    if (SSL_is_init_finished(c) && SSL_is_init_finished(s)) return;
  }
  die("handshake did not complete");
}

int main(int argc, char **argv) {
  if (argc < 6) die("usage: inproc cert key handshake|bulk x25519|P-256 seconds [bytes]");
  const char *mode = argv[3], *group = argv[4];
  double seconds = atof(argv[5]);
  int bytes = argc > 6 ? atoi(argv[6]) : 1200;
  SSL_CTX *sctx = SSL_CTX_new(DTLS_server_method()), *cctx = SSL_CTX_new(DTLS_client_method());
  if (!sctx || !cctx) die("SSL_CTX_new");
  if (SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1) die("certificate");
  if (SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1) die("key");
  /* The server picks `group`; the client also lists its certificate's curve (RFC 8422 5.1). */
  const char *sgroups = strcmp(group, "x25519") == 0 ? "X25519" : "P-256";
  const char *cgroups = strcmp(group, "x25519") == 0 ? "X25519:P-256" : "P-256";
  for (SSL_CTX *ctx = sctx; ctx; ctx = ctx == sctx ? cctx : NULL) {
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1) die("cipher");
    if (SSL_CTX_set1_groups_list(ctx, ctx == sctx ? sgroups : cgroups) != 1) die("groups");
    /* Every handshake is a full one, as in the JavaScript rows. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL); /* fingerprint pinning is not what is measured */

  double start = now(), elapsed;
  long ops = 0;
  double units = 0;
  if (strcmp(mode, "handshake") == 0) {
    do {
      SSL *c = make(cctx, 0), *s = make(sctx, 1);
      handshake(c, s);
      SSL_free(c);
      SSL_free(s);
      ops++;
    } while ((elapsed = now() - start) < seconds);
    printf("{\"mode\":\"handshake\",\"group\":\"%s\",\"ops\":%ld,\"seconds\":%.4f,\"perSecond\":%.1f}\n", group, ops, elapsed, ops / elapsed);
  } else {
    SSL *c = make(cctx, 0), *s = make(sctx, 1);
    handshake(c, s);
    unsigned char *msg = calloc(1, bytes), *in = malloc(65536);
    start = now();
    do {
      for (int i = 0; i < 64; i++) {
        if (SSL_write(c, msg, bytes) != bytes) die("SSL_write");
        pump(c, s);
        if (SSL_read(s, in, 65536) != bytes) die("SSL_read");
        units += bytes;
      }
    } while ((elapsed = now() - start) < seconds);
    printf("{\"mode\":\"bulk\",\"bytes\":%d,\"seconds\":%.4f,\"MBps\":%.2f}\n", bytes, elapsed, units / elapsed / 1e6);
  }
  return 0;
}
