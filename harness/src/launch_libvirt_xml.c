// SPDX-License-Identifier: GPL-2.0
/* The libvirt launcher's domain XML: a template of guests/libvirt/ filled
 * through libxml2 (values are set as text of the tree, so libxml2 escapes
 * them; nothing is pasted into XML text), lockmap's vCPU pins in <cputune>
 * and its own element in <metadata>; the domain names; the metadata read
 * back when domains of killed runs are looked for. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "launch_libvirt_int.h"
#include "lockmap.h"

static void libvirt_name_part(char *dst, size_t room, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < room; i++) {
		char c = src[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		dst[i] = ok ? c : '_';
	}
	dst[i] = '\0';
}

int libvirt_domain_name(char *buf, size_t len, const char *run, const char *cell, int index)
{
	char r[LIBVIRT_NAME_MAX], c[64], tail[96];
	size_t fixed;

	libvirt_name_part(c, sizeof(c), cell);
	snprintf(tail, sizeof(tail), "-%s-g%d", c, index);
	fixed = strlen(LIBVIRT_PREFIX) + strlen(tail);
	if (fixed + 2 > LIBVIRT_NAME_MAX || fixed + 2 > len)
		return -ENAMETOOLONG;
	/* The run id is cut, never the cell and guest: those tell the
	 * domains of one run apart. */
	libvirt_name_part(r, (len < LIBVIRT_NAME_MAX ? len : LIBVIRT_NAME_MAX) - fixed, run);
	snprintf(buf, len, "%s%s%s", LIBVIRT_PREFIX, r, tail);
	return 0;
}

bool libvirt_name_ours(const char *name)
{
	return name && !strncmp(name, LIBVIRT_PREFIX, strlen(LIBVIRT_PREFIX));
}

bool libvirt_pid_is_lockmap(pid_t pid)
{
	char path[64], comm[64];

	if (pid <= 0)
		return false;
	if (pid == getpid())
		return true;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_file_str(path, comm, sizeof(comm)) < 0)
		return false;
	str_rtrim(comm);
	return !strcmp(comm, "lockmap");
}

/* s with every @KEY@ of vars replaced; malloc'd, or NULL with the first
 * placeholder that has no value in why. An '@' that starts no @KEY@ stays. */
static char *libvirt_subst(const char *s, const struct libvirt_var *vars, size_t nvars,
			   char *why, size_t len)
{
	size_t cap = strlen(s) + 1, used = 0;
	char *out = malloc(cap);

	if (!out) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	while (*s) {
		const char *val = NULL, *end = NULL;
		size_t klen = 0, vlen;

		if (*s == '@') {
			klen = strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
			end = klen && s[1 + klen] == '@' ? s + 2 + klen : NULL;
		}
		if (!end) {
			out[used++] = *s++;
			continue;
		}
		for (size_t i = 0; i < nvars && !val; i++)
			if (strlen(vars[i].key) == klen && !strncmp(vars[i].key, s + 1, klen))
				val = vars[i].value;
		if (!val) {
			snprintf(why, len, "placeholder @%.*s@ has no value (lockmap fills:%s%s ...)",
				 (int)klen, s + 1, nvars ? " " : "", nvars ? vars[0].key : "");
			free(out);
			return NULL;
		}
		vlen = strlen(val);
		if (used + vlen + strlen(end) + 1 > cap) {
			char *bigger;

			cap = used + vlen + strlen(end) + 1;
			bigger = realloc(out, cap);
			if (!bigger) {
				snprintf(why, len, "out of memory");
				free(out);
				return NULL;
			}
			out = bigger;
		}
		memcpy(out + used, val, vlen);
		used += vlen;
		s = end;
	}
	out[used] = '\0';
	return out;
}

/* Fill every attribute and text node under n. */
static int libvirt_fill_tree(xmlNodePtr n, const struct libvirt_var *vars, size_t nvars,
			     char *why, size_t len)
{
	for (; n; n = n->next) {
		char *v;
		int rc;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (!n->content || !strchr((char *)n->content, '@'))
				continue;
			v = libvirt_subst((char *)n->content, vars, nvars, why, len);
			if (!v)
				return -EINVAL;
			/* A text node's content is text, not markup: libxml2
			 * escapes it when the tree is written. */
			xmlNodeSetContent(n, BAD_CAST v);
			free(v);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			xmlChar *old = xmlGetProp(n, a->name);

			if (!old)
				continue;
			v = strchr((char *)old, '@') ?
				libvirt_subst((char *)old, vars, nvars, why, len) : NULL;
			if (strchr((char *)old, '@') && !v) {
				xmlFree(old);
				return -EINVAL;
			}
			if (v)
				xmlSetProp(n, a->name, BAD_CAST v);
			free(v);
			xmlFree(old);
		}
		rc = libvirt_fill_tree(n->children, vars, nvars, why, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* The child of parent named name, made (last) when there is none. */
static xmlNodePtr libvirt_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
	return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

/* One <vcpupin> per pinned vCPU; the template's own pins for those vCPUs
 * give way to lockmap's, which follow guests.pin. */
static void libvirt_set_pins(xmlNodePtr root, const int *pins, int nvcpus)
{
	xmlNodePtr tune = NULL;

	for (int v = 0; v < nvcpus; v++) {
		char vs[16], cs[16];
		xmlNodePtr pin;

		if (pins[v] < 0)
			continue;
		if (!tune)
			tune = libvirt_child(root, "cputune");
		for (xmlNodePtr n = tune->children, next; n; n = next) {
			xmlChar *which = xmlGetProp(n, BAD_CAST "vcpu");

			next = n->next;
			if (which && atoi((char *)which) == v &&
			    !strcmp((const char *)n->name, "vcpupin")) {
				xmlUnlinkNode(n);
				xmlFreeNode(n);
			}
			xmlFree(which);
		}
		snprintf(vs, sizeof(vs), "%d", v);
		snprintf(cs, sizeof(cs), "%d", pins[v]);
		pin = xmlNewChild(tune, NULL, BAD_CAST "vcpupin", NULL);
		xmlSetProp(pin, BAD_CAST "vcpu", BAD_CAST vs);
		xmlSetProp(pin, BAD_CAST "cpuset", BAD_CAST cs);
	}
}

static void libvirt_set_meta(xmlNodePtr root, const struct libvirt_meta *m)
{
	xmlNodePtr md = libvirt_child(root, "metadata"), el;
	xmlNsPtr ns;
	char num[32];

	el = xmlNewChild(md, NULL, BAD_CAST "guest", NULL);
	ns = xmlNewNs(el, BAD_CAST LIBVIRT_META_NS, BAD_CAST LIBVIRT_META_PREFIX);
	xmlSetNs(el, ns);
	xmlSetProp(el, BAD_CAST "run", BAD_CAST m->run);
	xmlSetProp(el, BAD_CAST "cell", BAD_CAST m->cell);
	snprintf(num, sizeof(num), "%d", (int)m->pid);
	xmlSetProp(el, BAD_CAST "pid", BAD_CAST num);
	snprintf(num, sizeof(num), "%d", m->guest);
	xmlSetProp(el, BAD_CAST "guest", BAD_CAST num);
}

int libvirt_xml_build(const char *path, const struct libvirt_var *vars, size_t nvars,
		      const int *pins, int nvcpus, const struct libvirt_meta *meta, char **out,
		      char *why, size_t len)
{
	/* No network, no DTD loads, no entity expansion beyond XML's own; the
	 * parser's complaint goes into why, not to stderr. */
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS |
				    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	const xmlError *err = doc ? NULL : xmlGetLastError();
	char sub[256] = "";
	xmlChar *text = NULL;
	int size = 0, rc;

	*out = NULL;
	if (!root || strcmp((const char *)root->name, "domain")) {
		if (err && err->message)
			snprintf(why, len, "%s:%d: %s", path, err->line, err->message);
		else
			snprintf(why, len, "%s: %s", path,
				 !doc ? "not readable" : "its root is not <domain>");
		str_rtrim(why);
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	rc = libvirt_fill_tree(root, vars, nvars, sub, sizeof(sub));
	if (rc) {
		snprintf(why, len, "%s: %s", path, sub);
		xmlFreeDoc(doc);
		return rc;
	}
	libvirt_set_pins(root, pins, nvcpus);
	libvirt_set_meta(root, meta);
	xmlDocDumpFormatMemory(doc, &text, &size, 1);
	xmlFreeDoc(doc);
	if (!text) {
		snprintf(why, len, "%s: out of memory", path);
		return -ENOMEM;
	}
	*out = strdup((char *)text);
	xmlFree(text);
	return *out ? 0 : -ENOMEM;
}

static void libvirt_meta_attr(xmlNodePtr el, const char *name, char *dst, size_t len)
{
	xmlChar *v = xmlGetProp(el, BAD_CAST name);

	snprintf(dst, len, "%s", v ? (char *)v : "");
	xmlFree(v);
}

int libvirt_meta_parse(const char *xml, struct libvirt_meta *m)
{
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "metadata.xml", NULL,
					    XML_PARSE_NONET | XML_PARSE_NOERROR |
					    XML_PARSE_NOWARNING) : NULL;
	xmlNodePtr el = doc ? xmlDocGetRootElement(doc) : NULL;
	char pid[32], guest[16], *end;
	long p;

	memset(m, 0, sizeof(*m));
	if (!el || strcmp((const char *)el->name, "guest")) {
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	libvirt_meta_attr(el, "run", m->run, sizeof(m->run));
	libvirt_meta_attr(el, "cell", m->cell, sizeof(m->cell));
	libvirt_meta_attr(el, "pid", pid, sizeof(pid));
	libvirt_meta_attr(el, "guest", guest, sizeof(guest));
	xmlFreeDoc(doc);
	m->guest = atoi(guest);
	p = strtol(pid, &end, 10);
	if (end == pid || *end || p <= 0 || p > 0x3fffffff)
		return -EINVAL;
	m->pid = (pid_t)p;
	return 0;
}
