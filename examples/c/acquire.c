/*
 * Acquire a seat, verify its token offline, release it: the C ABI end to end.
 *
 *   gcc -o acquire examples/c/acquire.c -Icrates/client-ffi/include \
 *       -Ltarget/debug -lcoditect_license
 *   LD_LIBRARY_PATH=target/debug ./acquire http://127.0.0.1:8080 LICENSE-KEY [entitlement]
 *
 * Exits 0 when every step worked, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "coditect_license.h"

static int fail(const char *step, CoditectStatus status) {
    fprintf(stderr, "%s failed: status %d, code %s: %s\n", step, (int)status,
            coditect_last_error_code(), coditect_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SERVER_URL LICENSE_KEY [ENTITLEMENT]\n", argv[0]);
        return 2;
    }
    const char *entitlement = argc > 3 ? argv[3] : NULL;
    CoditectClient *client = NULL;
    CoditectLease *lease = NULL;
    CoditectToken *verified = NULL;
    char *session = NULL, *token = NULL, *claims = NULL;
    CoditectStatus s;
    int rc = 1;

    /* NULL hardware id: CODITECT_HARDWARE_ID, else the machine id hashed with the product. */
    s = coditect_client_new(argv[1], argv[2], "acme-c-example", NULL, NULL, &client);
    if (s != CODITECT_STATUS_OK) return fail("coditect_client_new", s);

    s = coditect_acquire(client, 10, &lease); /* wait up to 10 s if the license is full */
    if (s != CODITECT_STATUS_OK) { fail("coditect_acquire", s); goto out; }
    if ((s = coditect_lease_session_id(lease, &session)) != CODITECT_STATUS_OK) { fail("session_id", s); goto out; }
    printf("acquired session %s (libcoditect_license %s)\n", session, coditect_version());

    if ((s = coditect_lease_heartbeat(lease)) != CODITECT_STATUS_OK) { fail("coditect_lease_heartbeat", s); goto out; }
    if (coditect_lease_state(lease) != CODITECT_LEASE_STATE_ACTIVE) { fprintf(stderr, "lease not active\n"); goto out; }

    if ((s = coditect_lease_token(lease, &token)) != CODITECT_STATUS_OK) { fail("coditect_lease_token", s); goto out; }
    if ((s = coditect_verify(client, token, &verified)) != CODITECT_STATUS_OK) { fail("coditect_verify", s); goto out; }
    if ((s = coditect_token_claims_json(verified, &claims)) != CODITECT_STATUS_OK) { fail("claims", s); goto out; }
    printf("verified offline: %s\n", claims);
    if (entitlement && coditect_token_has_entitlement(verified, entitlement) != 1) {
        fprintf(stderr, "the token does not grant %s\n", entitlement);
        goto out;
    }

    /* A tampered token must be refused. */
    {
        CoditectToken *bad = NULL;
        size_t mid = strlen(token) / 2;
        token[mid] = token[mid] == 'A' ? 'B' : 'A';
        s = coditect_verify(client, token, &bad);
        coditect_token_free(bad);
        if (s != CODITECT_STATUS_INVALID_TOKEN) {
            fprintf(stderr, "a tampered token was not refused (status %d)\n", (int)s);
            goto out;
        }
    }

    if ((s = coditect_lease_release(lease)) != CODITECT_STATUS_OK) { fail("coditect_lease_release", s); goto out; }
    if (coditect_lease_state(lease) != CODITECT_LEASE_STATE_RELEASED) { fprintf(stderr, "lease not released\n"); goto out; }
    printf("released\n");
    rc = 0;

out:
    coditect_string_free(claims);
    coditect_string_free(token);
    coditect_string_free(session);
    coditect_token_free(verified);
    coditect_lease_free(lease); /* releases the seat if still held */
    coditect_client_free(client);
    return rc;
}
