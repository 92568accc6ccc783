# The StasisBroadcast application's text for Asterisk's CLI, made from its
# documentation XML (app_stasis_broadcast-en_US.xml, one element or paragraph
# a line): a C header with app_synopsis and app_description, the strings
# ast_register_application() takes where Asterisk cannot show the XML.
#
#   awk -f docs/xml/text.awk docs/xml/app_stasis_broadcast-en_US.xml > app_doc.h

function text(line) {
	sub(/^[ \t]*<[a-z]+( [^>]*)?>/, "", line)
	sub(/<\/[a-z]+>[ \t]*$/, "", line)
	gsub(/<[^>]*>/, "", line)
	gsub(/&amp;/, "\\&", line); gsub(/&lt;/, "<", line); gsub(/&gt;/, ">", line)
	return line
}
function attr(line, name,    rest) {
	rest = line
	sub(".*" name "=\"", "", rest)
	sub(/".*/, "", rest)
	return rest
}
# wrap(TEXT, FIRST, INDENT): TEXT wrapped at 88 columns, the first line
# after FIRST, the others after INDENT spaces
function wrap(words, first, indent,    n, w, i, out, line) {
	n = split(words, w, " ")
	line = first
	out = ""
	for (i = 1; i <= n; i++) {
		if (length(line) + length(w[i]) + 1 > 88 && line !~ /^ *$/) {
			out = out line "\n"
			line = sprintf("%" indent "s", "")
		}
		line = line (line ~ / $/ || line == "" ? "" : " ") w[i]
	}
	return out line "\n"
}
function emit(s) {
	gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
	n = split(s, lines, "\n")
	for (i = 1; i < n; i++) {
		printf "\t\"%s\\n\"\n", lines[i]
	}
}
/<application / { name = attr($0, "name") }
/<synopsis>/ { synopsis = text($0) }
/<parameter / { parameter = attr($0, "name"); params = params (params ? "[," : "") parameter }
/<para>/ && parameter != "" {
	body = body wrap(text($0), sprintf("  %-16s", parameter), 18)
	parameter = ""
	next
}
/<\/syntax>/ { body = body "\n" }
/<para>/ && variable == "" { body = body wrap(text($0), "", 0) (/:<\/para>/ ? "" : "\n") }
/<variable / { variable = attr($0, "name"); first = sprintf("  %-28s", variable) }
/<value / {
	body = body wrap(text($0), first sprintf("%-9s", attr($0, "name")), 39)
	first = sprintf("%30s", "")
}
/<para>/ && variable != "" { body = body wrap(text($0), first, 30) }
/<\/variable>/ { variable = "" }
END {
	closing = params
	gsub(/[^\[]/, "", closing)
	gsub(/\[/, "]", closing)
	print "/* Made by docs/xml/text.awk from docs/xml/app_stasis_broadcast-en_US.xml: do not edit. */"
	printf "static const char app_synopsis[] = \"%s\";\n\n", synopsis
	print "static const char app_description[] ="
	emit(sprintf("  %s([%s%s])\n\n", name, params, closing) body)
	print "\t;"
}
