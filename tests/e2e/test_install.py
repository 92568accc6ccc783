"""make install: directories found from the target's asterisk.conf, DESTDIR
honoured, and the C API header where the host Asterisk has none. (Every
sandbox instance also loads the modules it installed.)"""

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The installed Asterisk under test (enter.sh sets it for a source build).
SYSTEM_CONF = Path(os.environ.get("ASTERISK_CONF", "/etc/asterisk/asterisk.conf"))
INCLUDE = Path(os.environ.get("ASTERISK_INCLUDE", "/usr/include"))
API_HEADER = Path("asterisk/stasis_app_broadcast.h")


def make_install(tmp_path, *extra):
    done = subprocess.run(["make", "-s", "-C", str(REPO), "install", f"DESTDIR={tmp_path}", *extra],
                          check=True, capture_output=True, text=True)
    return done.stdout


def system_dir(name):
    """A directory as the installed Asterisk's asterisk.conf names it."""
    match = re.search(rf"^\s*{name}\s*=>?\s*(\S+)", SYSTEM_CONF.read_text(), re.M)
    return Path(match.group(1))


def host_has_api_header():
    header = INCLUDE / API_HEADER
    return header.is_file() and "STASIS_BROADCAST_COMPAT_HEADER" not in header.read_text()


def test_install_reads_the_system_asterisk_conf(tmp_path):
    make_install(tmp_path)
    modules = system_dir("astmoddir")
    for module in ("res_stasis_broadcast.so", "app_stasis_broadcast.so"):
        assert (tmp_path / modules.relative_to("/") / module).is_file()
    assert (tmp_path / system_dir("astdatadir").relative_to("/")
            / "documentation/thirdparty/res_stasis_broadcast-en_US.xml").is_file()


def test_install_follows_another_asterisk_conf(tmp_path):
    conf = tmp_path / "asterisk.conf"
    conf.write_text("[directories]\nastmoddir => /opt/pbx/modules\nastdatadir => /opt/pbx/data\n")
    said = make_install(tmp_path / "root", f"ASTERISK_CONF={conf}")
    assert (tmp_path / "root/opt/pbx/modules/res_stasis_broadcast.so").is_file()
    assert (tmp_path / "root/opt/pbx/data/documentation/thirdparty"
            / "res_stasis_broadcast-en_US.xml").is_file()
    assert "/opt/pbx/modules" in said


def test_install_directories_can_be_set(tmp_path):
    make_install(tmp_path, "MODULES_DIR=/m", "DOC_DIR=/d")
    assert (tmp_path / "m/app_stasis_broadcast.so").is_file()
    assert (tmp_path / "d/res_stasis_broadcast-en_US.xml").is_file()


def test_install_adds_the_api_header_only_where_asterisk_lacks_it(tmp_path):
    make_install(tmp_path)
    installed = tmp_path / INCLUDE.relative_to("/") / API_HEADER
    assert installed.is_file() != host_has_api_header()


def test_a_module_written_against_the_stock_header_builds(tmp_path):
    """A third-party module using the C API builds against the installed headers."""
    make_install(tmp_path)
    source = tmp_path / "res_third_party.c"
    source.write_text(
        '#include "asterisk.h"\n'
        '#include "asterisk/module.h"\n'
        '#include "asterisk/stasis_app_broadcast.h"\n'
        "int third_party_claim(const char *id, const char *app);\n"
        "int third_party_claim(const char *id, const char *app)\n"
        "{\n"
        "\tunsigned int flags = STASIS_BROADCAST_FLAG_SUPPRESS_CLAIMED;\n"
        "\treturn flags ? stasis_app_claim_channel(id, app) : -1;\n"
        "}\n")
    include = tmp_path / INCLUDE.relative_to("/") if not host_has_api_header() else INCLUDE
    subprocess.run(["gcc", "-fPIC", "-shared", "-Wall", "-Werror", "-D_GNU_SOURCE",
                    "-DAST_MODULE=\"res_third_party\"",
                    "-DAST_MODULE_SELF_SYM=__internal_res_third_party_self",
                    f"-I{include}", f"-I{INCLUDE}", "-o", str(tmp_path / "res_third_party.so"),
                    str(source)], check=True, capture_output=True, text=True)
