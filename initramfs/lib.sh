# shellcheck shell=dash
# lib.sh — what /init and lifeboat-unattended share: reading the kernel command line and
# checking the values it carries. Sourced (installed as /lib/lifeboat/lib.sh); the tests source
# it on the host (tests/cli/initramfs_params.test.sh).
#
# The command line and the labels and names it mentions are untrusted: whoever can type at the
# boot prompt or edit syslinux.cfg on the stick chooses them. So no value is globbed, split,
# expanded or pasted into a program (sed, awk, eval); values that become paths are refused when
# they could leave their folder; control characters are dropped before anything is printed.

# lb_clean: stdin to stdout without control characters (C0 except tab and newline, DEL).
lb_clean() { tr -d '\000-\010\013-\037\177'; }

# lb_words: the words of a kernel command line (stdin), one per line. Split as the kernel's
# next_arg() does: on blanks outside double quotes, the quotes dropped (lifeboat.name="a b" is
# the word lifeboat.name=a b). Other control characters are dropped.
lb_words() {
	awk '{
		n = length($0)
		for (i = 1; i <= n; i++) {
			c = substr($0, i, 1)
			if (c == "\"") { q = !q; continue }
			if (c == " " || c == "\t" || c == "\r" || c == "\v" || c == "\f") {
				if (!q) { if (w != "") print w; w = "" } else w = w " "
				continue
			}
			if (c < " " || c == "\177") continue
			w = w c
		}
		if (!q) { if (w != "") print w; w = "" } else w = w " "   # a quote runs over lines
	}
	END { if (w != "") print w }'
}

# lb_quote VALUE: VALUE as one single-quoted shell word ('it'\''s'), for the env file.
lb_quote() {
	local rest="$1" out=''
	while :; do
		case $rest in
		*\'*) out="$out${rest%%\'*}'\\''"; rest=${rest#*\'} ;;
		*) break ;;
		esac
	done
	printf "'%s%s'" "$out" "$rest"
}

# lb_params ENVFILE < words: appends LB_KEY='VALUE' for every lifeboat.KEY=VALUE word (KEY of
# a-z 0-9 _ only; others are refused with a message on stderr); sets lb_serials (the serial
# consoles named by console=ttyX..., in order, once each) and lb_quietlog (empty when loglevel=,
# debug or quiet was given). The caller runs it in its own shell (no pipe into it) so these
# variables survive.
# shellcheck disable=SC2034   # lb_quietlog is read by /init
lb_params() {
	local w k v s
	while IFS= read -r w; do
		case $w in
		lifeboat.*=*)
			k=${w%%=*}; k=${k#lifeboat.}; v=${w#*=}
			case $k in
			''|*[!a-z0-9_]*) printf 'lifeboat: ignoring parameter %s\n' "$w" >&2; continue ;;
			esac
			printf 'LB_%s=%s\n' "$k" "$(lb_quote "$v")" >>"$1" ;;
		console=tty[A-Z]*)
			s=${w#console=}; s=${s%%,*}
			case $s in
			*[!A-Za-z0-9]*) printf 'lifeboat: ignoring console %s\n' "$s" >&2; continue ;;
			esac
			case " $lb_serials " in *" $s "*) ;; *) lb_serials="${lb_serials:+$lb_serials }$s" ;; esac ;;
		loglevel=*|debug|quiet) lb_quietlog= ;;
		esac
	done
}

# lb_num VALUE DEFAULT: VALUE when it is a number of at most 5 digits, else DEFAULT (a value
# pasted into $(( )) or sleep could be an expression or an option).
lb_num() {
	case $1 in
	''|*[!0-9]*) echo "$2" ;;
	*) if [ ${#1} -le 5 ]; then echo "$1"; else echo "$2"; fi ;;
	esac
}

# lb_word VALUE DEFAULT: VALUE when it is a plain word (letters, digits, . _ + -), else DEFAULT.
lb_word() {
	case $1 in
	''|-*|*[!A-Za-z0-9._+-]*) echo "$2" ;;
	*) echo "$1" ;;
	esac
}

# lb_safe_path PATH: 0 when PATH, taken inside a mounted filesystem, stays inside it (no ".."
# component; "/" separators are fine).
lb_safe_path() {
	case /$1/ in
	*/../*) return 1 ;;
	esac
	return 0
}

# lb_safe_name NAME: 0 when NAME is one file name: not empty, no "/", not "." or "..".
lb_safe_name() {
	case $1 in
	''|.|..|*/*) return 1 ;;
	esac
	return 0
}

# lb_lower: stdin to lower case (ASCII).
lb_lower() { tr 'A-Z' 'a-z'; }

# lb_blkid_match KEY VALUE < blkid output: the device (first field) of the first line that has
# KEY="VALUE" (case-insensitive), compared as strings: the value is no pattern and no program.
lb_blkid_match() {
	local want line key=$1
	want=$(printf '%s' "$2" | lb_lower)
	while IFS= read -r line; do
		case $(printf '%s' "$line" | lb_lower) in
		*" $key=\"$want\""*) printf '%s\n' "${line%%:*}"; return 0 ;;
		esac
	done
	return 1
}
