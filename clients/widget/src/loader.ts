/** dist/widget.js: `<script src="https://GATEWAY/widget.js" data-site="SITE_KEY" async></script>`. */
import { boot } from "./loader/boot";

boot();
