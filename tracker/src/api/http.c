/*
 * HTTP for the API module: one curl easy handle per endpoint, reused for every request so
 * libcurl keeps the connection alive (N uploads over one connection). Only the module's
 * worker thread calls this file, so the handle table needs no lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api_internal.h"

#define MAX_ENDPOINTS 16

static struct {
    char *endpoint;
    CURL *handle;
} handles[MAX_ENDPOINTS];

typedef struct sink {
    char *buf;
    size_t cap, len;
} sink;

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    size_t room = s->cap - 1 - s->len;
    size_t take = n < room ? n : room;

    memcpy(s->buf + s->len, data, take);
    s->len += take;
    s->buf[s->len] = '\0';
    return n; /* the rest of a long body is not needed, but not an error either */
}

int cct_http__init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static CURL *handle_for(const char *endpoint)
{
    int free_slot = -1;

    for (int i = 0; i < MAX_ENDPOINTS; i++) {
        if (handles[i].endpoint && strcmp(handles[i].endpoint, endpoint) == 0)
            return handles[i].handle;
        if (!handles[i].endpoint && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0) {
        /* More endpoints than slots: recycle the first (its connection closes). */
        curl_easy_cleanup(handles[0].handle);
        free(handles[0].endpoint);
        handles[0].endpoint = NULL;
        free_slot = 0;
    }
    handles[free_slot].handle = curl_easy_init();
    if (!handles[free_slot].handle)
        return NULL;
    handles[free_slot].endpoint = strdup(endpoint);
    if (!handles[free_slot].endpoint) {
        curl_easy_cleanup(handles[free_slot].handle);
        return NULL;
    }
    return handles[free_slot].handle;
}

static void perform(CURL *h, const char *url, struct curl_slist *headers, const char *body,
                    unsigned int timeout_ms, cct_http_reply *reply)
{
    sink s = {reply->body, sizeof(reply->body), 0};
    CURLcode rc;

    reply->status = 0;
    reply->error[0] = '\0';
    reply->body[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    /* Only http and https, redirects included: a gopher:// or dict:// URL would let whoever
     * sets an endpoint send chosen bytes to any local port. */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0: the _STR options */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        snprintf(reply->error, sizeof(reply->error), "%s", curl_easy_strerror(rc));
        return;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->status);
}

/* "name: value" in a malloc'd buffer sized to fit (an api_key has no length limit); NULL when
 * out of memory. */
static char *header_line(const char *name, const char *value)
{
    size_t len = strlen(name) + 2 + strlen(value) + 1;
    char *line = malloc(len);

    if (line)
        snprintf(line, len, "%s: %s", name, value);
    return line;
}

void cct_http__post(const char *endpoint, const char *path, const char *api_key,
                    const char *idempotency_key, const char *json, unsigned int timeout_ms,
                    cct_http_reply *reply)
{
    char url[CCT_URL_MAX + 64];
    char *token = NULL, *key = NULL;
    struct curl_slist *headers = NULL, *grown;
    CURL *h = handle_for(endpoint);

    reply->status = 0;
    snprintf(reply->error, sizeof(reply->error), "out of memory");
    if (!h)
        return;
    snprintf(url, sizeof(url), "%s%s", endpoint, path); /* endpoint: < CCT_URL_MAX - 64 */
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (!headers)
        goto done;
    if (api_key) {
        token = header_line("x-api-token", api_key);
        grown = token ? curl_slist_append(headers, token) : NULL;
        if (!grown)
            goto done;
        headers = grown;
    }
    if (idempotency_key) {
        key = header_line("Idempotency-Key", idempotency_key);
        grown = key ? curl_slist_append(headers, key) : NULL;
        if (!grown)
            goto done;
        headers = grown;
    }
    perform(h, url, headers, json, timeout_ms, reply);
    /* The handle keeps a pointer to the list only for the duration of the transfer. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
done:
    curl_slist_free_all(headers);
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    free(key);
}

void cct_http__get(const char *url, unsigned int timeout_ms, cct_http_reply *reply)
{
    CURL *h = curl_easy_init();

    if (!h) {
        reply->status = 0;
        snprintf(reply->error, sizeof(reply->error), "out of memory");
        return;
    }
    perform(h, url, NULL, NULL, timeout_ms, reply);
    curl_easy_cleanup(h);
}

int cct_http__retryable(const cct_http_reply *reply)
{
    return reply->status == 0 || reply->status >= 500 || reply->status == 429;
}
