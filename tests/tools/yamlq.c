// SPDX-License-Identifier: GPL-2.0
/*
 * yamlq PATH FILE: print the scalar at PATH of a YAML file, or the scalars of the sequence
 * there one a line, for the shell tests (Debian's yq is Python). PATH is keys and [N], as in
 * spec.template.spec.containers[0].args; [*] takes every item that has the rest of PATH.
 * Exit 0; 1 when PATH leads nowhere or to more than scalars; 2 on a usage error, or when FILE
 * is not one YAML document, or holds an alias or a key twice in a mapping (refused).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *path_arg, *file_arg;

/* Whether P is a path: keys (no '.', '[' or ']' in them) and [N] or [*], split by dots. */
static bool path_ok(const char *p)
{
	size_t n;

	while (*p) {
		if (*p == '.' && !*++p)
			return false;
		if (*p == '[') {
			n = p[1] == '*' ? 1 : strspn(p + 1, "0123456789");
			if (!n || p[1 + n] != ']')
				return false;
			p += n + 2;
		} else {
			n = strcspn(p, ".[]");
			if (!n)
				return false;
			p += n;
		}
	}
	return true;
}

/* Print a scalar, or (not an ITEM) a sequence of scalars an item a line: 1, or -1 (exit 1). */
static int print_node(yaml_document_t *doc, yaml_node_t *node, bool item)
{
	yaml_node_item_t *it;

	if (node->type == YAML_SCALAR_NODE) {
		fwrite(node->data.scalar.value, 1, node->data.scalar.length, stdout);
		putchar('\n');
		return 1;
	}
	if (node->type == YAML_SEQUENCE_NODE && !item) {
		for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
			if (print_node(doc, yaml_document_get_node(doc, *it), true) < 0)
				return -1;
		return 1;
	}
	fprintf(stderr, "yamlq: %s: %s holds more than scalars\n", file_arg, path_arg);
	return -1;
}

/* Print what NODE holds at the rest P of the path: how many were found, or minus the exit code. */
static int walk(yaml_document_t *doc, yaml_node_t *node, const char *p)
{
	yaml_node_item_t *items, *top;
	yaml_node_pair_t *pair;
	yaml_node_t *k, *next = NULL;
	unsigned long i;
	char *end;
	int n = 0, r;
	size_t len;

	if (!node)
		return 0;
	p += *p == '.';
	len = strcspn(p, ".[");
	if (!*p)
		return print_node(doc, node, false);
	if (*p != '[') {
		if (node->type != YAML_MAPPING_NODE)
			return 0;
		for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top;
		     pair++) {
			k = yaml_document_get_node(doc, pair->key);
			if (k->type != YAML_SCALAR_NODE || k->data.scalar.length != len ||
			    memcmp(k->data.scalar.value, p, len))
				continue;
			if (next) {
				fprintf(stderr, "yamlq: %s: key %.*s twice in a mapping\n",
					file_arg, (int)len, p);
				return -2;
			}
			next = yaml_document_get_node(doc, pair->value);
		}
		return next ? walk(doc, next, p + len) : 0;
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return 0;
	items = node->data.sequence.items.start;
	top = node->data.sequence.items.top;
	if (p[1] != '*') {
		i = strtoul(p + 1, &end, 10);
		if (i >= (unsigned long)(top - items))
			return 0;
		return walk(doc, yaml_document_get_node(doc, items[i]), end + 1);
	}
	for (; items < top && n >= 0; items++) {
		r = walk(doc, yaml_document_get_node(doc, *items), p + 3);
		n = r < 0 ? r : n + r;
	}
	return n;
}

static int parse_error(yaml_parser_t *p)
{
	fprintf(stderr, "yamlq: %s:%zu:%zu: not valid YAML: %s%s%s\n", file_arg,
		p->problem_mark.line + 1, p->problem_mark.column + 1,
		p->problem ? p->problem : "out of memory", p->context ? ", " : "",
		p->context ? p->context : "");
	return 2;
}

/* Check the events of P: one document, no alias (it makes a graph of the tree), at most 64
 * levels (libyaml 0.2.5 scans deep flow nesting in quadratic time). 0, or 2 (the exit code). */
static int check_events(yaml_parser_t *p)
{
	const char *why = NULL;
	yaml_event_t ev;
	int depth = 0, docs = 0;
	bool end;

	do {
		if (!yaml_parser_parse(p, &ev))
			return parse_error(p);
		depth +=
		    (ev.type == YAML_SEQUENCE_START_EVENT) + (ev.type == YAML_MAPPING_START_EVENT);
		depth -= (ev.type == YAML_SEQUENCE_END_EVENT) + (ev.type == YAML_MAPPING_END_EVENT);
		docs += ev.type == YAML_DOCUMENT_START_EVENT;
		end = ev.type == YAML_STREAM_END_EVENT;
		if (ev.type == YAML_ALIAS_EVENT)
			why = "an alias (*name) in it: refused, write the value out";
		else if (depth > 64)
			why = "nesting over 64 levels deep in it";
		else if (docs > 1 || (end && !docs))
			why = docs ? "more than one YAML document in it" : "no YAML document in it";
		yaml_event_delete(&ev);
	} while (!why && !end);
	if (why)
		fprintf(stderr, "yamlq: %s: %s\n", file_arg, why);
	return why ? 2 : 0;
}

/* Load the one document of the file into DOC once its events passed: 0, or 2 (the exit code). */
static int load(yaml_document_t *doc)
{
	FILE *f = fopen(file_arg, "r");
	yaml_parser_t p;
	int rc = 0, pass;

	for (pass = 0; pass < 2 && !rc; pass++) {
		if (!f || (pass && fseek(f, 0, SEEK_SET)) || !yaml_parser_initialize(&p)) {
			fprintf(stderr, "yamlq: %s: %s\n", file_arg, strerror(errno));
			rc = 2;
			break;
		}
		yaml_parser_set_input_file(&p, f);
		if (!pass)
			rc = check_events(&p);
		else if (!yaml_parser_load(&p, doc))
			rc = parse_error(&p);
		yaml_parser_delete(&p);
	}
	if (f)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	yaml_document_t doc;
	int rc;

	if (argc != 3 || !*argv[1] || !path_ok(argv[1])) {
		fprintf(stderr, "usage: yamlq PATH FILE (PATH as in a.b[0].c or a[*].b)\n");
		return 2;
	}
	path_arg = argv[1];
	file_arg = argv[2];
	rc = load(&doc);
	if (rc)
		return rc;
	rc = walk(&doc, yaml_document_get_root_node(&doc), path_arg);
	yaml_document_delete(&doc);
	if (rc == 0)
		fprintf(stderr, "yamlq: %s: no %s in it\n", file_arg, path_arg);
	if (fflush(stdout) || ferror(stdout))
		perror("yamlq: writing");
	return ferror(stdout) ? 2 : rc > 0 ? 0 : rc == 0 ? 1 : -rc;
}
