# SPDX-License-Identifier: EUPL-1.2
# bash completion for smimewatch(8): the options, the words of --format, file
# names where a file is wanted, and the mailbox addresses configured in the
# file given with -c (default /etc/smimewatch/smimewatch.conf): its
# [mailbox ADDRESS] sections and the addresses of its mailbox_list.
# Installed to /usr/share/bash-completion/completions/smimewatch.

# The configured addresses, one per line.
_smimewatch_mailboxes()
{
        local conf=$1 list dir line
        [[ -r $conf ]] || return 0
        while IFS= read -r line; do
                if [[ $line =~ ^[[:space:]]*\[mailbox[[:space:]]+([^][:space:]]+)[[:space:]]*\] ]]; then
                        printf '%s\n' "${BASH_REMATCH[1]}"
                elif [[ $line =~ ^[[:space:]]*mailbox_list[[:space:]]*=[[:space:]]*([^#;[:space:]]+) ]]; then
                        list=${BASH_REMATCH[1]}
                fi
        done < "$conf"
        if [[ -n $list ]]; then
                # relative to the configuration file's directory, as smimewatch reads it
                dir=$(dirname -- "$conf")
                [[ $list == /* ]] || list=$dir/$list
                [[ -r $list ]] && while IFS= read -r line; do
                        line=${line%%#*}
                        line=${line//[[:space:]]/}
                        [[ -n $line ]] && printf '%s\n' "$line"
                done < "$list"
        fi
        return 0
}

_smimewatch()
{
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        local opts="--config --verify --check-cert --check-config --list-mailboxes --mailbox --format
                    --json --at --help --version"
        local conf=/etc/smimewatch/smimewatch.conf verify= i
        local IFS=$'\n'

        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                -c | --config) conf=${COMP_WORDS[i + 1]} ;;
                --verify) verify=1 ;;
                esac
        done
        conf=${conf/#\~/$HOME}
        COMPREPLY=()
        case $prev in
        -c | --config | --check-cert)
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$cur"))
                return 0
                ;;
        --format)
                COMPREPLY=($(compgen -W $'text\njson\nprometheus\nplugin' -- "$cur"))
                return 0
                ;;
        --at)
                return 0
                ;;
        --mailbox)
                COMPREPLY=($(compgen -W "$(_smimewatch_mailboxes "$conf")" -- "$cur"))
                return 0
                ;;
        esac
        if [[ $cur != -* && -n $verify ]]; then
                COMPREPLY=($(compgen -W "$(_smimewatch_mailboxes "$conf")" -- "$cur"))
                return 0
        fi
        IFS=$' \t\n'
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return 0
}
complete -F _smimewatch smimewatch
